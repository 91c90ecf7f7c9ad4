/*
 * base32: Crockford's base32, for what people read out or type back (the
 * paper recovery key, identity fingerprints).
 *
 * The 32 symbols are 0-9 and A-Z without I, L, O and U, so that no two look
 * alike. Reading is forgiving as Crockford's is: any case, and O for 0, I
 * or L for 1.
 */
#ifndef CLINIC_BASE32_H
#define CLINIC_BASE32_H

#include <stddef.h>

#define BASE32_ALPHABET "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

/* The value (0 to 31) a typed character stands for, or -1. */
int base32_value(char c);

/* The symbol for a value from 0 to 31. */
char base32_symbol(unsigned value);

/* Writes the first nbits bits of bytes (most significant bit first) as
 * (nbits + 4) / 5 symbols, the last one padded with zero bits, and a NUL. */
void base32_encode_bits(const unsigned char *bytes, size_t nbits, char *out);

#endif
