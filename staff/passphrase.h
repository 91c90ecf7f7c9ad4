/*
 * passphrase: reading the keyring's passphrase from a person or a file.
 *
 * On the terminal (/dev/tty, whatever standard input is) the passphrase is
 * typed with echo off; a signal that stops the program meanwhile first puts
 * the terminal back, since a shell left without echo looks broken. From a
 * file it is the first line (without CR LF or LF). Either way it is held in
 * sodium_malloc'd memory of PASSPHRASE_MAX + 2 bytes, NUL-terminated, and
 * wiped by passphrase_free. On failure NULL is returned with a whole sentence
 * for the person in err.
 */
#ifndef CLINIC_PASSPHRASE_H
#define CLINIC_PASSPHRASE_H

#include <stddef.h>

#define PASSPHRASE_MAX 1024

/* Asks on the terminal after prompt, with echo off. */
char *passphrase_ask(const char *prompt, char *err, size_t errlen);
/* The first line of the file at path. */
char *passphrase_from_file(const char *path, char *err, size_t errlen);
/* Wipes and frees; NULL is fine. */
void passphrase_free(char *passphrase);

#endif
