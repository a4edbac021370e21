/*
 * replay_main.c — runs a libFuzzer target without libFuzzer: calls
 * LLVMFuzzerTestOneInput() once per file in the directory (or on the single
 * file) named by argv[1], so `make fuzz-replay` can replay the committed
 * corpus under ASan+UBSan with any compiler. Prints how many inputs ran.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    int rc = -1;
    uint8_t *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        goto done;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = 1; /* not a regular file: skipped */
        goto done;
    }
    /* exact-size allocation so that the sanitizer sees any overread */
    buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!buf || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        fprintf(stderr, "%s: read failed\n", path);
        goto done;
    }
    LLVMFuzzerTestOneInput(buf, (size_t)st.st_size);
    rc = 0;
done:
    free(buf);
    if (f)
        fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    int n = 0, rc = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: %s <corpus dir or file>\n", argv[0]);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        rc = run_file(argv[1]) < 0;
        n = rc ? 0 : 1;
        goto done;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name);
        int r = run_file(path);
        if (r < 0)
            rc = 1;
        else if (r == 0)
            n++;
    }
    closedir(d);
done:
    printf("%s: ran %d inputs from %s\n", argv[0], n, argv[1]);
    return rc;
}
