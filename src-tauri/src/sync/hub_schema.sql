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
    results  jsonb := '[]'::jsonb;
BEGIN
    SELECT * INTO me FROM sync.members m WHERE m.role_name = session_user;
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
                           WHEN 'event' THEN 'handoff_events' WHEN 'bulk' THEN 'bulk_records' END;
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
                             WHEN 'bulk' THEN r->>'signer_id' ELSE me.member_id END;
            IF signer IS DISTINCT FROM me.member_id THEN
                reason := format('signed by another member (%s), not by %s who pushed it; the hub takes only records signed by the member who pushes them',
                                 coalesce(signer, 'nobody'), me.email);
            ELSIF k = 'signoff' AND me.role <> 'manager' THEN
                reason := format('only managers sign off; %s is a %s %s', me.email, me.side, me.role);
            ELSIF k = 'signoff' AND NOT EXISTS (SELECT 1 FROM sync.known WHERE id = r->>'version_id') THEN
                reason := 'the version it signs is not on the hub';
            ELSIF k = 'workspace' AND me.role <> 'manager' THEN
                reason := format('only a manager founds the team on the hub; %s is a %s', me.email, me.role);
            ELSIF k = 'member' AND me.role <> 'manager' AND r->>'member_id' IS DISTINCT FROM me.member_id THEN
                reason := format('only managers change the team; %s is a %s %s', me.email, me.side, me.role);
            ELSIF k = 'event' AND NOT EXISTS (SELECT 1 FROM sync.known WHERE id = r->>'contact_id') THEN
                reason := 'its contact is not on the hub';
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

REVOKE ALL ON FUNCTION sync.push_v1(jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION sync.pull_v1(bigint, integer) FROM PUBLIC;
