/* galvanid — the galvani daemon. */
#include "daemon-internal.h"

#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: galvanid [-c FILE] [-t [-v]] [--version]\n"
                 "  -c FILE    configuration file (default /etc/galvani/galvani.yaml)\n"
                 "  -t         check configuration, plugins and database, then exit 0/1\n"
                 "  -v         with -t: also print each plugin's configuration (secrets hidden)\n"
                 "  --config-reference  print every setting of the core and, with -c,\n"
                 "             of the configured plugins, as Markdown\n"
                 "  --version  print the version and exit\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"version", no_argument, NULL, 'V'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"config-reference", no_argument, NULL, 'R'},
                                             {0, 0, 0, 0}};
    /* No fastbins: the loop frees thousands of small JSON nodes between
     * two large frees (a group-commit batch, a query result), and with
     * fastbins every such free consolidates all of them at once; under
     * load that was a fifth of galvanid's CPU (docs/BENCHMARKS.md). The
     * per-thread cache still serves the small sizes. */
    mallopt(M_MXFAST, 0);
    const char *config = "/etc/galvani/galvani.yaml";
    int check = 0, verbose = 0, reference = 0, config_given = 0, c;
    while ((c = getopt_long(argc, argv, "c:tvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            config_given = 1;
            break;
        case 'R':
            reference = 1;
            break;
        case 't':
            check = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'V':
            printf("galvanid %s (plugin ABI %d.%d)\n", GLV_VERSION, GLV_ABI_MAJOR, GLV_ABI_MINOR);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (reference && !config_given) {
        glv_daemon_print_reference(stdout, NULL);
        return 0;
    }
    glv_daemon *d = glv_daemon_new(config, (check && !verbose) || reference);
    if (d && reference) {
        glv_daemon_print_reference(stdout, d);
        glv_daemon_free(d);
        return 0;
    }
    if (!d)
        return 1;
    int rc = check ? glv_daemon_check(d, stdout, verbose) : glv_daemon_run(d);
    glv_daemon_free(d);
    return rc;
}
