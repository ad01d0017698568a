/* galvani core — password hashing with scrypt, off the loop. */
#include "core-internal.h"
#include "password-internal.h"
#include "workers-internal.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALT_LEN 16
#define KEY_LEN 32
#define DEFAULT_LOG_N 15 /* N = 32768: 32 MiB with r = 8 */
#define DEFAULT_R 8
#define DEFAULT_P 1

static int derive(const char *password, const unsigned char *salt, size_t salt_len, int log_n,
                  int r, int p, unsigned char key[KEY_LEN])
{
    uint64_t n = (uint64_t)1 << log_n;
    uint64_t maxmem = (uint64_t)128 * r * (n + (uint64_t)p + 2) + 1024 * 1024;
    return EVP_PBE_scrypt(password, strlen(password), salt, salt_len, n, (uint64_t)r, (uint64_t)p,
                          maxmem, key, KEY_LEN) == 1
               ? 0
               : -EINVAL;
}

int glv_password_hash_sync(const char *password, char out[GLV_PASSWORD_HASH_MAX])
{
    unsigned char salt[SALT_LEN], key[KEY_LEN];
    if (!password || RAND_bytes(salt, sizeof(salt)) != 1)
        return -EINVAL;
    if (derive(password, salt, sizeof(salt), DEFAULT_LOG_N, DEFAULT_R, DEFAULT_P, key) != 0)
        return -EINVAL;
    char salt64[32], key64[64];
    EVP_EncodeBlock((unsigned char *)salt64, salt, sizeof(salt));
    EVP_EncodeBlock((unsigned char *)key64, key, sizeof(key));
    OPENSSL_cleanse(key, sizeof(key));
    snprintf(out, GLV_PASSWORD_HASH_MAX, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", DEFAULT_LOG_N, DEFAULT_R,
             DEFAULT_P, salt64, key64);
    return 0;
}

/* Decodes base64 with its padding; returns the decoded length or -1. */
static int decode64(const char *in, size_t len, unsigned char *out, size_t cap)
{
    if (len == 0 || len % 4 || len / 4 * 3 > cap)
        return -1;
    int n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
    if (n < 0)
        return -1;
    if (len >= 1 && in[len - 1] == '=')
        n--;
    if (len >= 2 && in[len - 2] == '=')
        n--;
    return n;
}

int glv_password_verify_sync(const char *password, const char *hash)
{
    int log_n, r, p, used = 0;
    if (!password || !hash ||
        sscanf(hash, "$scrypt$ln=%d,r=%d,p=%d$%n", &log_n, &r, &p, &used) != 3 || used == 0)
        return -EINVAL;
    if (log_n < 10 || log_n > 22 || r < 1 || r > 32 || p < 1 || p > 16)
        return -EINVAL;
    const char *salt64 = hash + used;
    const char *dollar = strchr(salt64, '$');
    if (!dollar)
        return -EINVAL;
    unsigned char salt[64], want[64], got[KEY_LEN];
    int salt_len = decode64(salt64, (size_t)(dollar - salt64), salt, sizeof(salt));
    int want_len = decode64(dollar + 1, strlen(dollar + 1), want, sizeof(want));
    if (salt_len <= 0 || want_len != KEY_LEN)
        return -EINVAL;
    if (derive(password, salt, (size_t)salt_len, log_n, r, p, got) != 0)
        return -EINVAL;
    int match = CRYPTO_memcmp(got, want, KEY_LEN) == 0;
    OPENSSL_cleanse(got, sizeof(got));
    return match;
}

struct password_job {
    char *password;
    char *hash;
    int result;
    char out[GLV_PASSWORD_HASH_MAX];
    glv_password_hash_fn hash_done;
    glv_password_verify_fn verify_done;
    void *arg;
};

static void job_free(struct password_job *j)
{
    if (j->password) {
        OPENSSL_cleanse(j->password, strlen(j->password));
        free(j->password);
    }
    free(j->hash);
    free(j);
}

static void hash_work(void *arg)
{
    struct password_job *j = arg;
    j->result = glv_password_hash_sync(j->password, j->out);
}

static void hash_done(void *arg)
{
    struct password_job *j = arg;
    j->hash_done(j->result == 0 ? j->out : NULL, j->arg);
    job_free(j);
}

static void verify_work(void *arg)
{
    struct password_job *j = arg;
    j->result = glv_password_verify_sync(j->password, j->hash);
}

static void verify_done(void *arg)
{
    struct password_job *j = arg;
    j->verify_done(j->result, j->arg);
    job_free(j);
}

static int submit(glv_plugin *p, struct password_job *j, glv_work_fn work, glv_callback_fn done)
{
    int rc = glv_workers_submit(p->core->workers, work, done, j);
    if (rc < 0) {
        job_free(j);
        return glv_fail(p, rc, "cannot submit password work");
    }
    return 0;
}

static int host_password_hash(glv_plugin *p, const char *password, glv_password_hash_fn done,
                              void *arg)
{
    if (!password || !done)
        return glv_fail(p, -EINVAL, "password_hash needs a password and a callback");
    struct password_job *j = calloc(1, sizeof(*j));
    if (!j || !(j->password = strdup(password))) {
        free(j);
        return glv_fail(p, -ENOMEM, "out of memory");
    }
    j->hash_done = done;
    j->arg = arg;
    return submit(p, j, hash_work, hash_done);
}

static int host_password_verify(glv_plugin *p, const char *password, const char *hash,
                                glv_password_verify_fn done, void *arg)
{
    if (!password || !hash || !done)
        return glv_fail(p, -EINVAL, "password_verify needs a password, a hash and a callback");
    struct password_job *j = calloc(1, sizeof(*j));
    if (!j || !(j->password = strdup(password)) || !(j->hash = strdup(hash))) {
        if (j)
            job_free(j);
        return glv_fail(p, -ENOMEM, "out of memory");
    }
    j->verify_done = done;
    j->arg = arg;
    return submit(p, j, verify_work, verify_done);
}

void glv_password_fill_host(glv_host *h)
{
    h->password_hash = host_password_hash;
    h->password_verify = host_password_verify;
}
