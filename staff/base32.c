#include "base32.h"

int base32_value(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == 'O')
		return 0;
	if (c == 'I' || c == 'L')
		return 1;
	for (int i = 0; i < 32; i++)
		if (BASE32_ALPHABET[i] == c)
			return i;
	return -1;
}

char base32_symbol(unsigned value)
{
	return BASE32_ALPHABET[value & 31];
}

void base32_encode_bits(const unsigned char *bytes, size_t nbits, char *out)
{
	size_t n = 0;
	for (size_t bit = 0; bit < nbits; bit += 5) {
		unsigned value = 0;
		for (size_t k = 0; k < 5; k++) {
			size_t b = bit + k;
			unsigned set = b < nbits ? (bytes[b / 8] >> (7 - b % 8)) & 1 : 0;
			value = value << 1 | set;
		}
		out[n++] = base32_symbol(value);
	}
	out[n] = '\0';
}
