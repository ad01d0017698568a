/*
 * galvani core — private. Password hashing with scrypt (memory-hard).
 * Stored form: "$scrypt$ln=15,r=8,p=1$<salt base64>$<hash base64>".
 * The synchronous functions take ~50 ms and 32 MiB: never on the loop.
 */
#ifndef GLV_PASSWORD_INTERNAL_H
#define GLV_PASSWORD_INTERNAL_H

#include <stddef.h>

#define GLV_PASSWORD_HASH_MAX 160

/* Hashes password into out (NUL-terminated). 0 or a negative errno. */
int glv_password_hash_sync(const char *password, char out[GLV_PASSWORD_HASH_MAX]);
/* 1 match, 0 mismatch, -EINVAL when `hash` is not a hash this code made. */
int glv_password_verify_sync(const char *password, const char *hash);

#endif
