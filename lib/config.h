/*
 * config: the site configuration file, read by every program with --config.
 *
 * Format: one `key = value` per line; `#` starts a comment line; blank lines
 * are ignored. Only the keys in the table in config.c are accepted; an unknown
 * key, a repeated key or a malformed number is an error naming the line.
 * Relative paths are taken relative to the directory holding the config file.
 */
#ifndef CLINIC_CONFIG_H
#define CLINIC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct config {
	/* Where things are. */
	char *content_db; /* compiled pages and templates (read-only for programs) */
	char *enquiry_db; /* sealed enquiries */
	char *public_key; /* staff public key file, read by contact.fcgi */
	char *secret_key; /* staff keyring file, read only by the enquiries tool */
	char *token_key;  /* form-token MAC key file, read by contact.fcgi */
	/* The team (see team.h). On the web server: the signed team file
	 * contact.fcgi seals to (when set, instead of public_key), and the team
	 * key's public half it must be signed with (64 hex digits). On the
	 * lead's computer: the team key (passphrase-protected) and the roster,
	 * the working list `enquiries team` keeps. */
	char *team_file;
	char *team_admin_key;
	char *team_key;
	char *team_roster;
	char *pages_listen; /* "unix:/path", "127.0.0.1:9000"; empty: fd 0 */
	char *contact_listen;
	char *log_file; /* empty: stderr */
	/* Process model and limits. */
	long workers; /* pre-forked workers of pages.fcgi */
	/* contact.fcgi's workers spend most of a post waiting for the disk; with
	 * more of them, one commit (one fsync) carries several posts. */
	long contact_workers;
	long max_body;  /* bytes; a larger form post gets 413 */
	long max_query; /* bytes of QUERY_STRING considered */
	/* Abuse control. */
	long token_min_age;     /* seconds: faster than this is not a person typing */
	long token_max_age;     /* seconds: older forms are re-issued */
	long rate_limit_posts;  /* accepted posts per client per window */
	long rate_limit_window; /* seconds */
	char *site_origin;      /* e.g. "https://clinic.example"; empty: derived from Host */
	/* What visitors and staff are told. */
	char *clinic_name;
	char *clinic_phone;
	char *clinic_email;
	long retention_days; /* stated on the consent box and used by purge */
	/* What search engines, link previews and the privacy notice say. */
	char *site_language;         /* BCP 47, e.g. "en-GB": <html lang>, og:locale */
	char *clinic_street_address; /* the clinic's postal address, in parts */
	char *clinic_locality;
	char *clinic_postcode;
	char *clinic_country;   /* ISO 3166-1 alpha-2, e.g. "GB" */
	char *opening_hours;    /* "Mo-Fr 09:00-17:00, Sa 10:00-13:00" (see hours.h) */
	char *data_controller;  /* who holds enquiries in law; empty: clinic_name */
	char *privacy_contact;  /* email for data protection requests; empty: clinic_email */
	char *ico_registration; /* the ICO's registration number */
	char *security_contact; /* security.txt Contact: a mailto: or https: URI */
	char *notify_to;        /* staff address for `enquiries notify` */
	char *sendmail;         /* path of sendmail */
};

/* Loads path into cfg (defaults first). On failure writes a sentence naming
 * the file and line into err and returns false. */
bool config_load(const char *path, struct config *cfg, char *err, size_t errlen);
/* Fills cfg with the defaults config_load starts from. */
void config_defaults(struct config *cfg);
void config_free(struct config *cfg);

#endif
