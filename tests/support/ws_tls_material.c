/*
 * Test TLS material generated with the openssl command.
 */
#include "ws_tls_material.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int glv_test_tls_material_make(glv_test_tls_material *m, const char *client_cn)
{
    memset(m, 0, sizeof *m);
    snprintf(m->dir, sizeof m->dir, "/tmp/glv-tls-XXXXXX");
    if (mkdtemp(m->dir) == NULL) {
        perror("mkdtemp");
        return -1;
    }
    snprintf(m->ca, sizeof m->ca, "%s/ca.pem", m->dir);
    snprintf(m->server_cert, sizeof m->server_cert, "%s/server.pem", m->dir);
    snprintf(m->server_key, sizeof m->server_key, "%s/server.key", m->dir);
    snprintf(m->client_cert, sizeof m->client_cert, "%s/client.pem", m->dir);
    snprintf(m->client_key, sizeof m->client_key, "%s/client.key", m->dir);
    snprintf(m->rogue_cert, sizeof m->rogue_cert, "%s/rogue.pem", m->dir);
    snprintf(m->rogue_key, sizeof m->rogue_key, "%s/rogue.key", m->dir);

    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "set -e; cd '%s'; "
             "K='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'; "
             "openssl req -x509 $K -keyout ca.key -out ca.pem -days 2 -subj /CN=galvani-test-ca; "
             "openssl req -x509 $K -keyout rca.key -out rca.pem -days 2 -subj /CN=other-ca; "
             "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > server.ext; "
             "openssl req $K -keyout server.key -out server.csr -subj /CN=localhost; "
             "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
             "-out server.pem -days 2 -extfile server.ext; "
             "openssl req $K -keyout client.key -out client.csr -subj '/CN=%s'; "
             "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
             "-out client.pem -days 2; "
             "openssl req $K -keyout rogue.key -out rogue.csr -subj '/CN=%s'; "
             "openssl x509 -req -in rogue.csr -CA rca.pem -CAkey rca.key -CAcreateserial "
             "-out rogue.pem -days 2",
             m->dir, client_cn, client_cn);
    char full[4200];
    snprintf(full, sizeof full, "(%s) >/dev/null 2>&1", cmd);
    if (system(full) != 0) {
        fprintf(stderr, "openssl failed: %s\n", cmd);
        return -1;
    }
    return 0;
}

void glv_test_tls_material_remove(glv_test_tls_material *m)
{
    if (m->dir[0] == '\0')
        return;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", m->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", m->dir);
}
