/*
 * fsync_probe — how long the disk takes to make one 8 KB write durable, as
 * PostgreSQL's WAL flush at every COMMIT does: writes a block of a 1 MB
 * file and calls fdatasync, again and again, for some seconds. Prints the
 * quantiles and every flush slower than 10 ms with the second it ended in.
 *
 * usage: fsync_probe DIRECTORY [seconds]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 8192
#define BLOCKS 128
#define MAX_FLUSHES 4000000

static double now_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fsync_probe DIRECTORY [seconds]\n");
        return 2;
    }
    double seconds = argc > 2 ? atof(argv[2]) : 30;
    char path[4096];
    snprintf(path, sizeof path, "%s/fsync_probe.%ld", argv[1], (long)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        perror("fsync_probe: open");
        return 1;
    }
    unlink(path); /* gone when closed */
    static char block[BLOCK];
    memset(block, 'g', sizeof block);
    double *took = malloc(MAX_FLUSHES * sizeof *took);
    if (took == NULL)
        return 1;
    size_t n = 0;
    double end = now_ms(CLOCK_MONOTONIC) + seconds * 1e3;
    while (n < MAX_FLUSHES && now_ms(CLOCK_MONOTONIC) < end) {
        if (pwrite(fd, block, BLOCK, (off_t)(n % BLOCKS) * BLOCK) != BLOCK) {
            perror("fsync_probe: write");
            return 1;
        }
        double t = now_ms(CLOCK_MONOTONIC);
        if (fdatasync(fd) != 0) {
            perror("fsync_probe: fdatasync");
            return 1;
        }
        took[n] = now_ms(CLOCK_MONOTONIC) - t;
        if (took[n] > 10) {
            time_t wall = time(NULL);
            char at[16];
            strftime(at, sizeof at, "%H:%M:%S", localtime(&wall));
            printf("slow flush at %s: %.1f ms\n", at, took[n]);
        }
        n++;
    }
    close(fd);
    if (n == 0)
        return 1;
    qsort(took, n, sizeof *took, by_value);
    printf("fsync_probe flushes=%zu p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.1f\n", n,
           took[n / 2], took[n * 99 / 100], took[n * 999 / 1000], took[n - 1]);
    free(took);
    return 0;
}
