/* galvani core — password hashing with scrypt, off the loop, and a cache of
 * verified credentials so that a charger reconnecting with the password it
 * proved before costs an HMAC instead of a scrypt.
 *
 * The cache (loop thread only) holds, per entry, a digest of the stored hash
 * (SHA-256, truncated to 16 bytes) and a tag HMAC-SHA256(k, stored hash ||
 * NUL || password) under a key k drawn at random per process. Neither the
 * password nor an unkeyed digest of it is kept. Only successful
 * verifications are entered, so a wrong password always pays the full
 * scrypt. A changed stored hash (new password, new salt) never matches an
 * old entry: the tag covers the stored hash, and the old entry ages out.
 * Tags are compared with CRYPTO_memcmp over every way of the set. The size
 * is bounded: CACHE_SETS x CACHE_WAYS entries, the oldest of a set replaced
 * first; the table is allocated at the first success. */
#include "core-internal.h"
#include "password-internal.h"
#include "workers-internal.h"

#include <errno.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
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

#define CACHE_SETS 16384u /* x CACHE_WAYS = 65,536 entries, 3.4 MiB at most */
#define CACHE_WAYS 4u
#define CACHE_ID_LEN 16
#define CACHE_TAG_LEN 32

struct cache_entry {
    unsigned char id[CACHE_ID_LEN];   /* SHA-256 of the stored hash, truncated */
    unsigned char tag[CACHE_TAG_LEN]; /* HMAC(k, stored hash, NUL, password) */
    uint32_t stamp;                   /* 0: free; higher: more recent */
};

static struct {
    struct cache_entry *table; /* CACHE_SETS * CACHE_WAYS, NULL until needed */
    unsigned char key[32];
    int keyed; /* 1 once key holds random bytes; -1 when RAND failed */
    uint32_t clock;
} cache;

/* The lookup key of (stored hash, password); 0 or -1 when caching is off. */
static int cache_key(const char *password, const char *hash, unsigned char id[CACHE_ID_LEN],
                     unsigned char tag[CACHE_TAG_LEN])
{
    if (cache.keyed == 0)
        cache.keyed = RAND_bytes(cache.key, sizeof(cache.key)) == 1 ? 1 : -1;
    if (cache.keyed != 1)
        return -1;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    size_t hlen = strlen(hash), plen = strlen(password);
    SHA256((const unsigned char *)hash, hlen, digest);
    memcpy(id, digest, CACHE_ID_LEN);
    unsigned char *msg = malloc(hlen + 1 + plen);
    if (!msg)
        return -1;
    memcpy(msg, hash, hlen + 1);
    memcpy(msg + hlen + 1, password, plen);
    unsigned int tlen = 0;
    int ok = HMAC(EVP_sha256(), cache.key, sizeof(cache.key), msg, hlen + 1 + plen, tag, &tlen) !=
                 NULL &&
             tlen == CACHE_TAG_LEN;
    OPENSSL_cleanse(msg, hlen + 1 + plen);
    free(msg);
    return ok ? 0 : -1;
}

static struct cache_entry *cache_set(const unsigned char id[CACHE_ID_LEN])
{
    uint32_t i =
        ((uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 | (uint32_t)id[2] << 8 | id[3]) % CACHE_SETS;
    return &cache.table[i * CACHE_WAYS];
}

/* 1 when this exact password was verified against this exact stored hash. */
static int cache_hit(const unsigned char id[CACHE_ID_LEN], const unsigned char tag[CACHE_TAG_LEN])
{
    if (!cache.table)
        return 0;
    struct cache_entry *set = cache_set(id);
    int hit = 0;
    for (unsigned w = 0; w < CACHE_WAYS; w++) {
        /* Every comparison runs, whatever the earlier ones found. */
        unsigned id_ok = CRYPTO_memcmp(set[w].id, id, CACHE_ID_LEN) == 0;
        unsigned tag_ok = CRYPTO_memcmp(set[w].tag, tag, CACHE_TAG_LEN) == 0;
        unsigned used = set[w].stamp != 0;
        int same = (int)(id_ok & tag_ok & used);
        hit |= same;
        if (same)
            set[w].stamp = ++cache.clock ? cache.clock : (cache.clock = 1);
    }
    return hit;
}

static void cache_put(const unsigned char id[CACHE_ID_LEN], const unsigned char tag[CACHE_TAG_LEN])
{
    if (!cache.table && !(cache.table = calloc(CACHE_SETS * CACHE_WAYS, sizeof(*cache.table))))
        return;
    struct cache_entry *set = cache_set(id), *victim = &set[0];
    for (unsigned w = 0; w < CACHE_WAYS; w++) {
        if (memcmp(set[w].id, id, CACHE_ID_LEN) == 0 || set[w].stamp == 0) {
            victim = &set[w]; /* the same stored hash, or a free way */
            break;
        }
        if (set[w].stamp < victim->stamp)
            victim = &set[w];
    }
    memcpy(victim->id, id, CACHE_ID_LEN);
    memcpy(victim->tag, tag, CACHE_TAG_LEN);
    victim->stamp = ++cache.clock ? cache.clock : (cache.clock = 1);
}

struct password_job {
    char *password;
    char *hash;
    int result;
    int cacheable;
    unsigned char id[CACHE_ID_LEN], tag[CACHE_TAG_LEN];
    struct password_job *next_inflight; /* same bucket of `inflight` */
    struct password_job *waiters;       /* the same credentials offered meanwhile */
    char out[GLV_PASSWORD_HASH_MAX];
    glv_password_hash_fn hash_done;
    glv_password_verify_fn verify_done;
    void *arg;
};

/* Verifications running on the workers, by credentials: the same pair
 * offered again meanwhile (a fleet sharing one password, a charger
 * reconnecting quickly) waits for that result instead of its own scrypt. */
#define INFLIGHT_BUCKETS 1024u
static struct password_job *inflight[INFLIGHT_BUCKETS];

static struct password_job **inflight_bucket(const unsigned char tag[CACHE_TAG_LEN])
{
    return &inflight[((unsigned)tag[0] << 8 | tag[1]) % INFLIGHT_BUCKETS];
}

static struct password_job *inflight_find(const struct password_job *j)
{
    for (struct password_job *o = *inflight_bucket(j->tag); o; o = o->next_inflight)
        if (CRYPTO_memcmp(o->id, j->id, CACHE_ID_LEN) == 0 &&
            CRYPTO_memcmp(o->tag, j->tag, CACHE_TAG_LEN) == 0)
            return o;
    return NULL;
}

static void inflight_remove(struct password_job *j)
{
    for (struct password_job **pp = inflight_bucket(j->tag); *pp; pp = &(*pp)->next_inflight)
        if (*pp == j) {
            *pp = j->next_inflight;
            return;
        }
}

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
    if (j->cacheable) {
        inflight_remove(j);
        if (j->result == 1)
            cache_put(j->id, j->tag);
    }
    OPENSSL_cleanse(j->tag, sizeof(j->tag));
    struct password_job *w = j->waiters;
    j->verify_done(j->result, j->arg);
    while (w) {
        struct password_job *next = w->waiters;
        w->verify_done(j->result, w->arg);
        job_free(w);
        w = next;
    }
    job_free(j);
}

static void cached_done(evutil_socket_t fd, short what, void *arg)
{
    struct password_job *j = arg;
    OPENSSL_cleanse(j->tag, sizeof(j->tag));
    j->verify_done(1, j->arg);
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
    j->cacheable = cache_key(password, hash, j->id, j->tag) == 0;
    if (j->cacheable && cache_hit(j->id, j->tag)) {
        /* answered on a later loop turn, as a verification off the loop is */
        static const struct timeval now = {0, 0};
        if (event_base_once(p->core->base, -1, EV_TIMEOUT, cached_done, j, &now) == 0)
            return 0;
    }
    if (j->cacheable) {
        struct password_job *running = inflight_find(j);
        if (running) {
            j->waiters = running->waiters;
            running->waiters = j;
            return 0;
        }
    }
    int rc = submit(p, j, verify_work, verify_done);
    if (rc == 0 && j->cacheable) {
        struct password_job **b = inflight_bucket(j->tag);
        j->next_inflight = *b;
        *b = j;
    }
    return rc;
}

void glv_password_fill_host(glv_host *h)
{
    h->password_hash = host_password_hash;
    h->password_verify = host_password_verify;
}
