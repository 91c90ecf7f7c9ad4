"""A team of clinicians, each with their own key: the signed team file that
contact.fcgi seals to, need-to-know rules, removal, forged and stale team
files, the paper recovery key, and the upgrade from the previous release.

The stack is the previous release's data upgraded in place: its database
(tests/integration/fixtures/format1, made by 4e2983a's own contact form) and
the single staff keyring its rows were sealed to, which `enquiries init
--name anna` turns into the lead's keyring. Then `team init`, `team add anna
--lead` and `team publish` make the team contact.fcgi starts with.
"""
import json
import os
import re
import subprocess

from harness import (ROOT, assert_equal, assert_in, assert_not_in, enquiry_rows, ref_of,
                     stack_module)
from test_staff import db_execute

FIXTURE = os.path.join(ROOT, "tests", "integration", "fixtures", "format1")
STACK_OPTIONS = {"rate_limit_posts": 1000, "token_min_age": 0, "team": "anna",
                 "upgrade_from": FIXTURE}
LEAD = "anna"


def tool_path():
    return os.path.join(stack_module.BIN_DIR, "tools", "enquiries")


def people(ctx):
    """name -> {keyring, passphrase_file, identity}; kept on ctx (one stack per
    web server)."""
    return ctx.__dict__.setdefault("team_people", {})


def run(ctx, *args, who=LEAD, config=None, secret=True, input_text=None):
    """tools/enquiries as who (their keyring and passphrase), no terminal."""
    cmd = [tool_path(), "--config", config or ctx.stack.config]
    if who != LEAD and who in people(ctx):
        cmd += ["--keyring", people(ctx)[who]["keyring"]]
    if secret:
        cmd += ["--passphrase-file", people(ctx)[who]["passphrase_file"] if who in people(ctx)
                else ctx.stack.passphrase_file]
    result = subprocess.run(cmd + list(args), env=ctx.stack.env(), input=input_text,
                            stdin=None if input_text is not None else subprocess.DEVNULL,
                            capture_output=True, timeout=60, start_new_session=True)
    result.out = result.stdout.decode("utf-8", "replace")
    result.err = result.stderr.decode("utf-8", "replace")
    for crash in ("AddressSanitizer", "runtime error", "Segmentation", "core dumped"):
        assert_not_in(crash, result.err, "enquiries %s" % " ".join(args))
    return result


def ok(ctx, *args, **kw):
    result = run(ctx, *args, **kw)
    if result.returncode != 0:
        raise AssertionError("enquiries %s exited %d:\n%s%s" % (
            " ".join(args), result.returncode, result.out[-1000:], result.err[-1000:]))
    return result


def failed(ctx, *args, **kw):
    result = run(ctx, *args, **kw)
    if result.returncode != 1:
        raise AssertionError("enquiries %s: expected exit 1, got %d:\n%s%s" % (
            " ".join(args), result.returncode, result.out[-1000:], result.err[-1000:]))
    assert result.err.startswith("enquiries: "), result.err[:300]
    return result


def new_member(ctx, name):
    """A colleague's own keyring and identity file, made with their passphrase."""
    folder = ctx.stack.path("people", name)
    os.makedirs(folder, exist_ok=True)
    passphrase_file = os.path.join(folder, "passphrase")
    with open(passphrase_file, "w") as f:
        f.write("the passphrase of %s\n" % name)
    os.chmod(passphrase_file, 0o600)
    keyring = os.path.join(folder, name + ".keyring")
    result = ok(ctx, "init", "--name", name, "--keyring", keyring, "--passphrase-file",
                passphrase_file, secret=False)
    identity = os.path.join(folder, name + ".identity")
    assert os.path.exists(identity), result.out
    with open(identity) as f:
        line = f.read()
    fingerprint = line.split()[4]
    assert_in(fingerprint, result.out, "init prints the fingerprint to read out")
    people(ctx)[name] = {"keyring": keyring, "passphrase_file": passphrase_file,
                         "identity": identity, "fingerprint": fingerprint}
    return people(ctx)[name]


def publish(ctx):
    result = ok(ctx, "team", "publish", ctx.stack.team_file)
    version = int(re.search(r"version (\d+)", result.out).group(1))
    with open(ctx.stack.team_file) as f:
        assert_in("\nversion %d\n" % version, f.read(), "the published team file")
    return version


def post(ctx, kind, **fields):
    resp = ctx.post("/" + kind, ctx.form(kind, **fields))
    ref = ref_of(resp)
    if not ref:
        with open(ctx.stack.path("log", "clinic.log"), errors="replace") as f:
            log = f.read()[-1500:]
        raise AssertionError("posting %s: expected a 303, got %r\n%s" % (kind, resp, log))
    return ref


def opens(ctx, who, ref, expected_name):
    result = run(ctx, "show", ref, who=who)
    return result.returncode == 0 and expected_name in result.out


def row_count(ctx):
    return len(enquiry_rows(ctx.stack.path("enquiries.db")))


def log_text(ctx):
    with open(ctx.stack.path("log", "clinic.log"), errors="replace") as f:
        return f.read()


def fixture_expected():
    with open(os.path.join(FIXTURE, "expected.json")) as f:
        return json.load(f)["enquiries"]


# --- the upgrade from the previous release ------------------------------------
def test_previous_release_rows_still_open(ctx):
    expected = fixture_expected()
    rows = {r["ref"]: r for r in enquiry_rows(ctx.stack.path("enquiries.db"))}
    for ref, enquiry in expected.items():
        assert ref in rows, "the fixture's %s is in the upgraded database" % ref
        assert re.fullmatch(r"[0-9a-f]{16}", rows[ref]["key_id"]), rows[ref]["key_id"]
        shown = ok(ctx, "show", ref).out
        for name, value in enquiry["fields"].items():
            if value and name in ("name", "email", "reason", "message"):
                assert_in(value, shown, "show %s (format 1)" % ref)
    exported = json.loads(ok(ctx, "export", "--format", "json").out)
    by_ref = {e["ref"]: e for e in exported}
    for ref, enquiry in expected.items():
        for name, value in enquiry["fields"].items():
            assert_equal(by_ref[ref]["fields"][name], value, "%s %s" % (ref, name))
    verified = ok(ctx, "verify")
    assert_in("every one opens", verified.out)


def test_lead_keyring_was_upgraded_not_replaced(ctx):
    with open(ctx.stack.path(LEAD + ".identity")) as f:
        magic, name, box, sign, fingerprint = f.read().split()
    assert_equal((magic, name), ("clinic-identity-v1", LEAD), "the lead's identity file")
    listed = ok(ctx, "team", "list", secret=False).out
    assert_in(LEAD, listed)
    assert_in(fingerprint, listed)
    assert_in("lead", listed)
    # The old key is the lead's key now: the old public key file names it.
    with open(os.path.join(FIXTURE, "staff.pub")) as f:
        old_pk = f.read().split()[2]
    assert_equal(box, old_pk, "the lead's box key is the previous release's key")


# --- every clinician their own key --------------------------------------------
def test_two_members_open_the_same_enquiry(ctx):
    ben = new_member(ctx, "ben")
    added = ok(ctx, "team", "add", "ben", ben["identity"], secret=False)
    assert_in(ben["fingerprint"], added.out, "team add shows the fingerprint to check")
    jo = new_member(ctx, "jo")
    ok(ctx, "team", "add", "jo", jo["identity"], "--only", "start:pilates", secret=False)
    ctx.version_with_ben = publish(ctx)
    with open(ctx.stack.team_file, "rb") as f:
        ctx.team_file_with_ben = f.read()

    ref = post(ctx, "start", name="Sam Both", interest="dit")
    row = [r for r in enquiry_rows(ctx.stack.path("enquiries.db")) if r["ref"] == ref][0]
    assert_equal(row["key_id"], "team-%d" % ctx.version_with_ben, "the row's team version")
    assert opens(ctx, LEAD, ref, "Sam Both"), "the lead opens it"
    assert opens(ctx, "ben", ref, "Sam Both"), "ben opens it"
    refused = failed(ctx, "show", ref, who="jo")
    assert_in("not sealed to you", refused.err)
    assert_not_in("Sam Both", refused.out + refused.err)
    ctx.ref_before_removal = ref


def test_nothing_typed_is_on_disk_in_the_clear(ctx):
    marker = "Marker%s" % os.urandom(6).hex()
    ref = post(ctx, "start", name=marker, reason="About " + marker, interest="pilates")
    for suffix in ("", "-wal"):
        path = ctx.stack.path("enquiries.db" + suffix)
        if os.path.exists(path):
            with open(path, "rb") as f:
                assert_not_in(marker.encode(), f.read(), path)
    assert opens(ctx, LEAD, ref, marker), "the lead opens it"


def test_pilates_member_sees_only_pilates(ctx):
    pilates = post(ctx, "start", name="Pat Pilates", interest="pilates")
    therapy = post(ctx, "start", name="Terry Therapy", interest="dit")
    contact = post(ctx, "contact", name="Cory Contact")
    assert opens(ctx, "jo", pilates, "Pat Pilates"), "jo opens the Pilates self-referral"
    assert not opens(ctx, "jo", therapy, "Terry Therapy"), "jo cannot open a therapy one"
    assert not opens(ctx, "jo", contact, "Cory Contact"), "jo cannot open a contact message"
    listed = ok(ctx, "list", who="jo")
    assert_in(pilates, listed.out)
    assert_in("Pat Pilates", listed.out)
    assert_not_in(therapy, listed.out)
    assert_not_in("Terry Therapy", listed.out)
    assert_in("not sealed to you", listed.out)
    # Who can read it does not show in its size.
    rows = {r["ref"]: r for r in enquiry_rows(ctx.stack.path("enquiries.db"))}
    assert_equal(len(rows[pilates]["sealed"]), len(rows[therapy]["sealed"]), "sealed sizes")
    assert_equal(len(rows[pilates]["sealed"]), len(rows[contact]["sealed"]), "sealed sizes")
    for ref in (pilates, therapy, contact):
        assert opens(ctx, LEAD, ref, ""), "the lead opens %s" % ref


def test_removed_member_cannot_open_new_posts(ctx):
    ok(ctx, "team", "remove", "ben", secret=False)
    listed = ok(ctx, "team", "list", secret=False).out
    assert_not_in("ben", listed)
    publish(ctx)
    ref = post(ctx, "start", name="After Removal", interest="dit")
    assert opens(ctx, LEAD, ref, "After Removal"), "the lead opens it"
    assert not opens(ctx, "ben", ref, "After Removal"), "ben cannot open it"
    recovered = ok(ctx, "recover", "--paper-key-file", ctx.stack.paper_key_file, "show", ref,
                   secret=False)
    assert_in("After Removal", recovered.out)
    # What ben was sent before stays his: removal cannot take that back.
    assert opens(ctx, "ben", ctx.ref_before_removal, "Sam Both")


def assert_refused(ctx, team_bytes, reason):
    with open(ctx.stack.team_file, "wb") as f:
        f.write(team_bytes)
    before = row_count(ctx)
    resp = ctx.post("/start", ctx.form("start", name="Refused Post"))
    assert_equal(resp.status, 503, "a post with a bad team file (%s)" % reason)
    assert_in("020 7946 0000", resp.text, "the 503 page gives the phone number")
    assert_equal(row_count(ctx), before, "rows after a refused post")
    assert_in(reason, log_text(ctx), "the log says why")


def test_bad_team_files_refuse_posts(ctx):
    with open(ctx.stack.team_file, "rb") as f:
        good = f.read()
    # Forged: a whole other team key, which names itself as admin.
    forged_dir = ctx.stack.path("forged")
    os.makedirs(forged_dir, exist_ok=True)
    forged_conf = ctx.stack.path("forged", "site.conf")
    with open(ctx.stack.config) as f:
        conf = f.read()
    conf = re.sub(r"(?m)^team_key = .*$", "team_key = team.key", conf)
    conf = re.sub(r"(?m)^team_roster = .*$", "team_roster = team.roster", conf)
    with open(forged_conf, "w") as f:
        f.write(conf)
    ok(ctx, "team", "init", config=forged_conf)
    ok(ctx, "team", "add", LEAD, ctx.stack.path(LEAD + ".identity"), "--lead",
       config=forged_conf, secret=False)
    for _ in range(5):  # a higher version than the real one
        ok(ctx, "team", "publish", ctx.stack.path("forged", "team.signed"), config=forged_conf)
    with open(ctx.stack.path("forged", "team.signed"), "rb") as f:
        forged = f.read()
    assert_refused(ctx, forged, "another team key")
    # Tampered: one letter of a name changed after signing.
    tampered = good.replace(b"member jo ", b"member jp ")
    assert tampered != good
    assert_refused(ctx, tampered, "altered")
    # Older: the file from before ben was removed, well signed.
    assert_refused(ctx, ctx.team_file_with_ben, "older")
    # Unsigned: without its signature line.
    assert_refused(ctx, good[:good.rindex(b"signature ")], "not signed")
    # The good file again: posts are taken again.
    with open(ctx.stack.team_file, "wb") as f:
        f.write(good)
    post(ctx, "contact", name="Back To Normal")


def test_version_is_remembered_in_the_store(ctx):
    stored = db_execute(ctx.stack.path("enquiries.db"),
                        "SELECT value FROM meta WHERE key = 'team_version'")
    stored = stored[0] if stored else None
    assert stored, "the store remembers the team version"
    with open(ctx.stack.team_file) as f:
        version = int(re.search(r"\nversion (\d+)\n", f.read()).group(1))
    assert_equal(int(stored[0].split()[0]), version, "the remembered version")


def test_paper_key_opens_everything(ctx):
    listed = ok(ctx, "recover", "--paper-key-file", ctx.stack.paper_key_file, "list",
                secret=False)
    for name in ("Sam Both", "Pat Pilates", "Terry Therapy", "Cory Contact", "After Removal"):
        assert_in(name, listed.out, "recover list")
    exported = json.loads(ok(ctx, "recover", "--paper-key-file", ctx.stack.paper_key_file,
                             "export", "--format", "json", secret=False).out)
    team_rows = [r for r in enquiry_rows(ctx.stack.path("enquiries.db"))
                 if r["key_id"].startswith("team-")]
    opened = {e["ref"] for e in exported if (e.get("fields") or {}).get("name")}
    for row in team_rows:
        assert row["ref"] in opened, "the paper key opens %s" % row["ref"]

    with open(ctx.stack.paper_key_file) as f:
        paper = f.read().strip()
    groups = paper.split("-")
    assert_equal(len(groups), 13, "paper key groups")
    wrong = groups[4][0]
    groups[4] = ("Z" if wrong != "Z" else "Y") + groups[4][1:]
    typo_file = ctx.stack.path("paper-key-typo")
    with open(typo_file, "w") as f:
        f.write("-".join(groups) + "\n")
    refused = failed(ctx, "recover", "--paper-key-file", typo_file, "list", secret=False)
    assert_in("Group 5", refused.err)
    assert_not_in("Sam Both", refused.out)


# --- the tripwire -------------------------------------------------------------
def test_tripwire_warns_about_keys_outside_the_team(ctx):
    # A key nobody in the team holds, as someone who took over the server
    # might put in place of the team.
    stranger = ctx.stack.path("stranger")
    os.makedirs(stranger, exist_ok=True)
    conf = os.path.join(stranger, "site.conf")
    with open(conf, "w") as f:
        f.write("enquiry_db = %s\nsecret_key = stranger.keyring\npublic_key = stranger.pub\n"
                % ctx.stack.path("enquiries.db"))
    ok(ctx, "init", config=conf)
    ref = stranger_row(ctx, os.path.join(stranger, "stranger.pub"))
    listed = run(ctx, "list")
    assert_equal(listed.returncode, 1, "list exits 1 when the tripwire fires")
    assert re.search(re.escape(ref) + r".*outside the team", listed.out + listed.err), \
        listed.out + listed.err
    verified = run(ctx, "verify")
    assert_equal(verified.returncode, 1, "verify")
    assert_in(ref, verified.out + verified.err)
    assert_in("outside the team", verified.out + verified.err)
    db_execute(ctx.stack.path("enquiries.db"), "DELETE FROM enquiries WHERE ref = ?", (ref,))
    ok(ctx, "verify")


def stranger_row(ctx, public_key):
    """A format 1 row sealed to public_key, stored as contact.fcgi would."""
    from test_staff import envelope, new_ref, seal_helper, today
    ref = new_ref()
    with open(public_key) as f:
        key_id = f.read().split()[1]
    plain = envelope("contact", ref, today() + "T10:00:00.000Z", key_id,
                     [("name", "Someone Else"), ("email", "x@example.org"),
                      ("message", "Sealed to a stranger."), ("consent", "yes")])
    done = subprocess.run([seal_helper(ctx), public_key, ctx.stack.path("enquiries.db"), ref,
                           "contact", today()], input=plain, capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return ref


def test_tripwire_warns_about_a_team_the_server_made_up(ctx):
    from test_staff import envelope, new_ref, seal_helper, today
    mallory = new_member(ctx, "mallory")  # never added to the team
    with open(mallory["identity"]) as f:
        mallory_box = f.read().split()[2]
    with open(ctx.stack.team_file) as f:
        team = f.read()
    version = re.search(r"\nversion (\d+)\n", team).group(1)
    recovery = re.search(r"\nrecovery ([0-9a-f]{64})\n", team).group(1)
    ref = new_ref()
    plain = envelope("start", ref, today() + "T10:00:00.000Z", "team-" + version,
                     [("name", "Sealed Elsewhere"), ("email", "x@example.org"),
                      ("interest", "dit"), ("reason", "..."), ("consent", "yes")])
    done = subprocess.run([seal_helper(ctx), "--team", ctx.stack.path("enquiries.db"), ref,
                           "start", today(), version, "8", mallory_box, recovery], input=plain,
                          capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    # The lead receives everything, so a current enquiry not sealed to her is a warning.
    listed = run(ctx, "list")
    assert_equal(listed.returncode, 1, "list exits 1 when the tripwire fires")
    assert re.search(re.escape(ref) + r".*not sealed to you", listed.out + listed.err), \
        listed.out + listed.err
    # The recovery key opens it, and sees to whom else it was sealed.
    recovered = run(ctx, "recover", "--paper-key-file", ctx.stack.paper_key_file, "list",
                    secret=False)
    assert_equal(recovered.returncode, 1, "recover list exits 1 when the tripwire fires")
    found = recovered.out + recovered.err
    assert re.search(re.escape(ref) + r".*outside the team", found), found
    assert_in("no current member", found)
    db_execute(ctx.stack.path("enquiries.db"), "DELETE FROM enquiries WHERE ref = ?", (ref,))
    ok(ctx, "verify")
