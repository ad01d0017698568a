/*
 * Test TLS material made at run time with the openssl command in a temporary
 * directory: a CA, a server certificate for localhost/127.0.0.1, a client
 * certificate signed by the CA, and one signed by an unrelated CA.
 */
#ifndef GLV_WS_TLS_MATERIAL_H
#define GLV_WS_TLS_MATERIAL_H

typedef struct glv_test_tls_material {
    char dir[256];
    char ca[320];
    char server_cert[320], server_key[320];
    char client_cert[320], client_key[320];
    char rogue_cert[320], rogue_key[320]; /* signed by another CA */
} glv_test_tls_material;

/* Generates everything; client_cn: the client certificate's subject CN.
 * Returns 0, or -1 (with a message on stderr). */
int glv_test_tls_material_make(glv_test_tls_material *m, const char *client_cn);
/* Removes the directory. */
void glv_test_tls_material_remove(glv_test_tls_material *m);

#endif
