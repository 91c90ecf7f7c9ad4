/*
 * unseal: opening what seal.h sealed, with a secret key from the keyring.
 *
 * The other half of seal.h, kept on the staff side: no web program links
 * this, so none can call crypto_box_seal_open (tests/boundary.sh checks).
 */
#ifndef CLINIC_UNSEAL_H
#define CLINIC_UNSEAL_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Opens and unpads; appends the plaintext to plain (wipe it after use).
 * False if the bytes were not sealed to this key pair or were altered. */
bool unseal_message(const unsigned char pk[crypto_box_PUBLICKEYBYTES],
                    const unsigned char sk[crypto_box_SECRETKEYBYTES], const void *sealed,
                    size_t len, struct buf *plain);

#endif
