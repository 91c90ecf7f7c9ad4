/*
 * team_admin: the commands with which the practice lead keeps the team.
 *
 *   team init            make the team key (team_key), the roster
 *                        (team_roster) and the paper recovery key
 *   team add NAME FILE [--lead] [--only FORM[:CHOICE],...]
 *                        put NAME.identity in the roster
 *   team remove NAME     take NAME out of the roster
 *   team list            who is in the roster, what each receives
 *   team publish FILE    sign the roster as the next version and write it
 *
 * Only publish (and init, for a new one) needs the team key's passphrase:
 * the roster is the lead's working copy, and nothing changes on the web
 * server until a signed file is published and put there as team_file.
 */
#ifndef CLINIC_TEAM_ADMIN_H
#define CLINIC_TEAM_ADMIN_H

#include "session.h"

/* `enquiries team WORD ...`: the exit status, having said what it did. */
int team_admin_run(struct session *ses);

#endif
