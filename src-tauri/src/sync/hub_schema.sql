-- The team hub: one PostgreSQL database per company. Run once by `playbook hub init` as
-- the database's owner, in one transaction. Members log in as their own roles, which may
-- only execute sync.push_v1 and sync.pull_v1 (SECURITY DEFINER, fixed search_path, every
-- check explicit inside); they hold no privilege on any table.
CREATE SCHEMA sync;
REVOKE ALL ON SCHEMA sync FROM PUBLIC;

-- Feed positions come from this one row, updated inside the push transaction: a push holds
-- its lock until it commits, so commit order is feed order and a pull that reads
-- `pos > checkpoint` never skips a change committed late.
CREATE TABLE sync.sequencer (
    one   integer PRIMARY KEY CHECK (one = 1),
    last  bigint NOT NULL
);
INSERT INTO sync.sequencer VALUES (1, 0);

-- Who may connect, as which member, and what the hub knows of their standing (set at
-- enrolment, kept current by member records that managers push: trusted time is push time).
CREATE TABLE sync.members (
    role_name    text PRIMARY KEY,
    member_id    text NOT NULL UNIQUE,
    email        text NOT NULL UNIQUE,
    side         text NOT NULL,
    role         text NOT NULL,
    public_key   text NOT NULL DEFAULT '',     -- Ed25519, hex: checks the member's sign-offs
    record_at    text NOT NULL DEFAULT '',
    revoked      boolean NOT NULL DEFAULT false,
    enrolled_at  timestamptz NOT NULL DEFAULT now()
);

-- The feed: every accepted change, once.
CREATE TABLE sync.changes (
    pos           bigint PRIMARY KEY,
    change_id     uuid NOT NULL UNIQUE,
    kind          text NOT NULL,
    record_id     text NOT NULL,
    payload       text NOT NULL,
    payload_hash  text NOT NULL,
    pushed_by     text NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, record_id)
);

-- Every row id the feed holds (a bulk write brings many), so a sign-off or an event whose
-- version or contact the hub does not have is refused instead of breaking every replica.
CREATE TABLE sync.known (
    id   text PRIMARY KEY,
    tbl  text NOT NULL
);

-- Forced row-level security: even the owner reads and writes these tables only through
-- the functions below (they run as the owner); members have no privilege at all.
DO $rls$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['sequencer', 'members', 'changes', 'known'] LOOP
        EXECUTE format('ALTER TABLE sync.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE sync.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY hub_owner ON sync.%I USING (current_user = %L) WITH CHECK (current_user = %L)',
                       t, current_user, current_user);
    END LOOP;
END
$rls$;


-- Ed25519 signature checks (RFC 8032, as ed25519-dalek's `verify`: R' = [S]B - [k]A,
-- compared with R as encoded) in plain PL/pgSQL over numeric, since stock PostgreSQL has
-- no Ed25519. About 15 ms a check, so the hub checks the sign-offs another member made on
-- the pusher's laptop (in a meeting); laptops check every record.
CREATE FUNCTION sync.le_num(b bytea) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog AS $fn$
DECLARE n numeric := 0; i integer;
BEGIN
    FOR i IN REVERSE length(b) - 1 .. 0 LOOP
        n := n * 256 + get_byte(b, i);
    END LOOP;
    RETURN n;
END
$fn$;

CREATE FUNCTION sync.num_le(n numeric, len integer) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog AS $fn$
DECLARE out bytea := ''::bytea; i integer;
BEGIN
    FOR i IN 1 .. len LOOP
        out := out || set_byte('\x00'::bytea, 0, mod(n, 256)::integer);
        n := div(n, 256);
    END LOOP;
    RETURN out;
END
$fn$;

CREATE FUNCTION sync.modpow(b numeric, e numeric, m numeric) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog AS $fn$
DECLARE r numeric := 1;
BEGIN
    b := mod(mod(b, m) + m, m);
    WHILE e > 0 LOOP
        IF mod(e, 2) = 1 THEN r := mod(r * b, m); END IF;
        e := div(e, 2);
        b := mod(b * b, m);
    END LOOP;
    RETURN r;
END
$fn$;

-- Unified addition on edwards25519 in extended coordinates (X, Y, Z, T) (add-2008-hwcd-3);
-- it doubles too. Values stay reduced mod p but may be negative until encoded.
CREATE FUNCTION sync.ed_add(p numeric[], q numeric[]) RETURNS numeric[]
LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog AS $fn$
DECLARE
    m  constant numeric := 57896044618658097711785492504343953926634992332820282019728792003956564819949;
    d2 constant numeric := 16295367250680780974490674513165176452449235426866156013048779062215315747161;
    a numeric; b numeric; c numeric; d numeric; e numeric; f numeric; g numeric; h numeric;
BEGIN
    a := mod((p[2] - p[1]) * (q[2] - q[1]), m);
    b := mod((p[2] + p[1]) * (q[2] + q[1]), m);
    c := mod(mod(p[4] * d2, m) * q[4], m);
    d := mod(2 * p[3] * q[3], m);
    e := b - a; f := d - c; g := d + c; h := b + a;
    RETURN ARRAY[mod(e * f, m), mod(g * h, m), mod(f * g, m), mod(e * h, m)];
END
$fn$;

CREATE FUNCTION sync.ed25519_verify(pub bytea, msg bytea, sig bytea) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $fn$
DECLARE
    m  constant numeric := 57896044618658097711785492504343953926634992332820282019728792003956564819949;
    l  constant numeric := 7237005577332262213973186563042994240857116359379907606001950938285454250989;
    d  constant numeric := 37095705934669439343138083508754565189542113879843219016388785533085940283555;
    i  constant numeric := 19681161376707505956807079304988542015446066515923890162744021073123829784752;
    gx constant numeric := 15112221349535400772501151409588531511454012693041857206046113283949847762202;
    gy constant numeric := 46316835694926478169428394003475163141307993866256225615783033603165251855960;
    y numeric; x numeric; u numeric; v numeric; vx2 numeric; sign integer;
    s numeric; k numeric; sb bytea; kb bytea; zi numeric; qx numeric; qy numeric;
    na numeric[]; bp numeric[]; ba numeric[]; q numeric[]; n integer;
BEGIN
    IF pub IS NULL OR msg IS NULL OR sig IS NULL OR length(pub) <> 32 OR length(sig) <> 64 THEN
        RETURN false;
    END IF;
    sign := get_byte(pub, 31) >> 7;
    y := sync.le_num(set_byte(pub, 31, get_byte(pub, 31) & 127));
    IF y >= m THEN RETURN false; END IF;
    u := mod(y * y - 1 + m, m);
    v := mod(d * y * y + 1, m);
    x := mod(mod(u * sync.modpow(v, 3, m), m)
             * sync.modpow(mod(u * sync.modpow(v, 7, m), m), (m - 5) / 8, m), m);
    vx2 := mod(v * x * x, m);
    IF vx2 = u THEN
        NULL;
    ELSIF vx2 = mod(m - u, m) THEN
        x := mod(x * i, m);
    ELSE
        RETURN false;
    END IF;
    IF x = 0 AND sign = 1 THEN RETURN false; END IF;
    IF mod(x, 2) <> sign THEN x := m - x; END IF;
    na := ARRAY[m - x, y, 1, mod((m - x) * y, m)];   -- -A
    s := sync.le_num(substring(sig FROM 33 FOR 32));
    IF s >= l THEN RETURN false; END IF;
    k := mod(sync.le_num(sha512(substring(sig FROM 1 FOR 32) || pub || msg)), l);
    sb := sync.num_le(s, 32);
    kb := sync.num_le(k, 32);
    bp := ARRAY[gx, gy, 1, mod(gx * gy, m)];
    ba := sync.ed_add(bp, na);
    q := ARRAY[0, 1, 1, 0]::numeric[];
    FOR n IN REVERSE 255 .. 0 LOOP
        q := sync.ed_add(q, q);
        IF get_bit(sb, n) = 1 AND get_bit(kb, n) = 1 THEN
            q := sync.ed_add(q, ba);
        ELSIF get_bit(sb, n) = 1 THEN
            q := sync.ed_add(q, bp);
        ELSIF get_bit(kb, n) = 1 THEN
            q := sync.ed_add(q, na);
        END IF;
    END LOOP;
    zi := sync.modpow(q[3], m - 2, m);
    qx := mod(mod(q[1] * zi, m) + m, m);
    qy := mod(mod(q[2] * zi, m) + m, m);
    RETURN sync.num_le(qy + mod(qx, 2) * 57896044618658097711785492504343953926634992332820282019728792003956564819968, 32)
           = substring(sig FROM 1 FOR 32);
END
$fn$;

-- The canonical hash of a sign-off (trust/canon.rs, agreements/records.rs): SHA-256 over
-- "playbook:" and length-prefixed fields, an absent field as one zero byte.
CREATE FUNCTION sync.canon(t text) RETURNS bytea
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $fn$
    SELECT CASE WHEN t IS NULL THEN '\x00'::bytea
           ELSE '\x01'::bytea || sync.num_le(octet_length(convert_to(t, 'UTF8')), 8) || convert_to(t, 'UTF8') END
$fn$;

CREATE FUNCTION sync.signoff_hash(r jsonb, version_hash text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $fn$
    SELECT encode(sha256(convert_to('playbook:', 'UTF8') || sync.canon('signoff/v1')
        || sync.canon(r->>'id') || sync.canon(r->>'version_id') || sync.canon(version_hash)
        || sync.canon(r->>'action') || sync.canon(r->>'member_id') || sync.canon(r->>'comment')
        || sync.canon(r->>'at')), 'hex')
$fn$;

CREATE FUNCTION sync.push_v1(batch jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    me       sync.members%ROWTYPE;
    c        jsonb;
    p        jsonb;
    r        jsonb;
    prior    sync.changes%ROWTYPE;
    cid      uuid;
    k        text;
    rid      text;
    hash     text;
    main     text;
    signer   text;
    extra    text[];
    reason   text;
    newpos   bigint;
    signed   sync.members%ROWTYPE;
    vhash    text;
    results  jsonb := '[]'::jsonb;
BEGIN
    -- Held to commit: a revocation (which updates this row) waits for a push under way and
    -- every later push sees it, so nothing the member pushes lands after they were revoked.
    SELECT * INTO me FROM sync.members m WHERE m.role_name = session_user FOR SHARE;
    IF NOT FOUND OR me.revoked THEN
        RAISE EXCEPTION 'playbook: % is not an enrolled member of this hub', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF jsonb_typeof(batch) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'playbook: a batch is a JSON array of changes' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- One push at a time: the checks below and the positions are then free of races.
    PERFORM 1 FROM sync.sequencer WHERE one = 1 FOR UPDATE;

    FOR c IN SELECT value FROM jsonb_array_elements(batch) LOOP
        reason := NULL;
        BEGIN
            cid := (c->>'changeId')::uuid;
        EXCEPTION WHEN others THEN
            RAISE EXCEPTION 'playbook: a change without a valid changeId' USING ERRCODE = 'invalid_parameter_value';
        END;
        IF cid IS NULL THEN
            RAISE EXCEPTION 'playbook: a change without a changeId' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        k := c->>'kind';
        rid := c->>'recordId';
        hash := c->>'payloadHash';

        SELECT * INTO prior FROM sync.changes ch WHERE ch.change_id = cid;
        IF FOUND THEN
            IF prior.payload_hash = hash THEN
                results := results || jsonb_build_array(jsonb_build_object(
                    'changeId', cid, 'status', 'duplicate', 'position', prior.pos));
            ELSE
                results := results || jsonb_build_array(jsonb_build_object(
                    'changeId', cid, 'status', 'rejected',
                    'reason', 'this change id is already on the hub with other content'));
            END IF;
            CONTINUE;
        END IF;

        IF encode(sha256(convert_to(coalesce(c->>'payload', ''), 'UTF8')), 'hex') IS DISTINCT FROM hash THEN
            reason := 'the payload does not match its hash';
        END IF;
        IF reason IS NULL THEN
            BEGIN
                p := (c->>'payload')::jsonb;
            EXCEPTION WHEN others THEN
                reason := 'the payload is not JSON';
            END;
        END IF;
        IF reason IS NULL THEN
            main := CASE k WHEN 'member' THEN 'member_records' WHEN 'workspace' THEN 'workspace'
                           WHEN 'version' THEN 'agreement_versions' WHEN 'signoff' THEN 'agreement_signoffs'
                           WHEN 'event' THEN 'handoff_events' WHEN 'bulk' THEN 'bulk_records'
                           WHEN 'activity' THEN 'activities' WHEN 'content' THEN 'content_records'
                           WHEN 'risk' THEN 'account_risk_records' WHEN 'merge' THEN 'contact_merges'
                           WHEN 'meeting' THEN 'meeting_records' END;
            extra := CASE k WHEN 'version' THEN ARRAY['agreement_items']
                            WHEN 'bulk' THEN ARRAY['handoff_events', 'activities', 'contacts', 'accounts']
                            ELSE ARRAY[]::text[] END;
            IF main IS NULL THEN
                reason := format('unknown kind of change %L', k);
            ELSIF jsonb_typeof(p->'rows') IS DISTINCT FROM 'object'
                  OR jsonb_typeof(p->'rows'->main) IS DISTINCT FROM 'array'
                  OR jsonb_array_length(p->'rows'->main) <> 1 THEN
                reason := format('a %s change carries exactly one %s row', k, main);
            ELSIF EXISTS (SELECT 1 FROM jsonb_object_keys(p->'rows') t WHERE t <> main AND NOT t = ANY (extra)) THEN
                reason := format('a %s change carries only %s rows', k, array_to_string(main || extra, ', '));
            ELSE
                r := p->'rows'->main->0;
                IF r->>'id' IS DISTINCT FROM rid THEN
                    reason := 'the record id does not match its row';
                END IF;
            END IF;
        END IF;

        IF reason IS NULL THEN
            SELECT * INTO prior FROM sync.changes ch WHERE ch.kind = k AND ch.record_id = rid;
            IF FOUND THEN
                IF prior.payload_hash = hash THEN
                    results := results || jsonb_build_array(jsonb_build_object(
                        'changeId', cid, 'status', 'duplicate', 'position', prior.pos));
                ELSE
                    results := results || jsonb_build_array(jsonb_build_object(
                        'changeId', cid, 'status', 'rejected',
                        'reason', format('the %s %s is already on the hub with other content', k, rid)));
                END IF;
                CONTINUE;
            END IF;
        END IF;

        -- Who signed it, and whether they may.
        IF reason IS NULL THEN
            signer := CASE k WHEN 'member' THEN r->>'signer_id' WHEN 'version' THEN r->>'author_id'
                             WHEN 'signoff' THEN r->>'member_id' WHEN 'event' THEN r->>'actor_id'
                             WHEN 'bulk' THEN r->>'signer_id' WHEN 'activity' THEN r->>'actor_id'
                             WHEN 'content' THEN r->>'author_id' WHEN 'risk' THEN r->>'author_id'
                             WHEN 'merge' THEN r->>'actor_id' WHEN 'meeting' THEN r->>'author_id'
                             ELSE me.member_id END;
            IF k = 'signoff' THEN
                -- A sign-off may be another manager's, signed on this laptop in a meeting:
                -- it counts when its hash and signature verify against that member's key.
                -- The pusher's own are vouched for by their login (and checked by every
                -- laptop on arrival): an Ed25519 check costs ~15 ms here.
                SELECT * INTO signed FROM sync.members m WHERE m.member_id = signer AND NOT m.revoked;
                SELECT ch.payload::jsonb->'rows'->'agreement_versions'->0->>'hash' INTO vhash
                FROM sync.changes ch WHERE ch.kind = 'version' AND ch.record_id = r->>'version_id';
                IF signed.member_id IS NULL THEN
                    reason := format('signed by %s, who is not an enrolled member of this hub', coalesce(signer, 'nobody'));
                ELSIF signed.role <> 'manager' THEN
                    reason := format('only managers sign off; %s is a %s %s', signed.email, signed.side, signed.role);
                ELSIF vhash IS NULL THEN
                    reason := 'the version it signs is not on the hub';
                ELSIF r->>'hash' IS DISTINCT FROM sync.signoff_hash(r, vhash) THEN
                    reason := 'its hash does not match its content';
                ELSIF signer IS DISTINCT FROM me.member_id AND NOT sync.ed25519_verify(decode(signed.public_key, 'hex'), convert_to(r->>'hash', 'UTF8'),
                                              decode(coalesce(r->>'signature', ''), 'hex')) THEN
                    reason := format('its signature does not verify against the key of %s', signed.email);
                END IF;
                signed := NULL;
            ELSIF signer IS DISTINCT FROM me.member_id THEN
                reason := format('signed by another member (%s), not by %s who pushed it; the hub takes only records signed by the member who pushes them',
                                 coalesce(signer, 'nobody'), me.email);
            ELSIF k = 'workspace' AND me.role <> 'manager' THEN
                reason := format('only a manager founds the team on the hub; %s is a %s', me.email, me.role);
            ELSIF k = 'member' AND me.role <> 'manager' AND r->>'member_id' IS DISTINCT FROM me.member_id THEN
                reason := format('only managers change the team; %s is a %s %s', me.email, me.side, me.role);
            ELSIF k IN ('event', 'activity') AND NOT EXISTS (SELECT 1 FROM sync.known WHERE id = r->>'contact_id') THEN
                reason := 'its contact is not on the hub';
            ELSIF k = 'merge' AND NOT EXISTS (SELECT 1 FROM sync.known WHERE id = r->>'duplicate_id')
                  OR k = 'merge' AND NOT EXISTS (SELECT 1 FROM sync.known WHERE id = r->>'survivor_id') THEN
                reason := 'a contact it merges is not on the hub';
            ELSIF k = 'risk' AND NOT EXISTS (SELECT 1 FROM sync.known WHERE id = r->>'account_id') THEN
                reason := 'its account is not on the hub';
            ELSIF k = 'bulk' AND me.role NOT IN ('manager', 'ops') THEN
                reason := format('only ops members and managers write in bulk; %s is a %s', me.email, me.role);
            END IF;
        END IF;

        IF reason IS NOT NULL THEN
            results := results || jsonb_build_array(jsonb_build_object(
                'changeId', cid, 'status', 'rejected', 'reason', reason));
            CONTINUE;
        END IF;

        UPDATE sync.sequencer SET last = last + 1 WHERE one = 1 RETURNING last INTO newpos;
        INSERT INTO sync.changes (pos, change_id, kind, record_id, payload, payload_hash, pushed_by)
        VALUES (newpos, cid, k, rid, c->>'payload', hash, me.member_id);
        INSERT INTO sync.known (id, tbl)
        SELECT e->>'id', t.key FROM jsonb_each(p->'rows') t, jsonb_array_elements(t.value) e
        WHERE e ? 'id'
        ON CONFLICT (id) DO NOTHING;
        IF k = 'member' AND me.role = 'manager' THEN
            UPDATE sync.members m SET side = r->>'side', role = r->>'role', record_at = r->>'at',
                   public_key = r->>'public_key',
                   revoked = m.revoked OR (r->>'removed') = '1'
            WHERE m.member_id = r->>'member_id' AND m.record_at <= r->>'at';
        END IF;
        results := results || jsonb_build_array(jsonb_build_object(
            'changeId', cid, 'status', 'applied', 'position', newpos));
    END LOOP;
    RETURN results;
END
$fn$;

CREATE FUNCTION sync.pull_v1(after bigint, max_changes integer)
RETURNS TABLE (pos bigint, change_id uuid, kind text, record_id text, payload text, payload_hash text)
LANGUAGE plpgsql SECURITY DEFINER STABLE SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM sync.members m WHERE m.role_name = session_user AND NOT m.revoked) THEN
        RAISE EXCEPTION 'playbook: % is not an enrolled member of this hub', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN QUERY
        SELECT c.pos, c.change_id, c.kind, c.record_id, c.payload, c.payload_hash
        FROM sync.changes c
        WHERE c.pos > after
        ORDER BY c.pos
        LIMIT least(greatest(max_changes, 1), 10000);
END
$fn$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA sync FROM PUBLIC;
