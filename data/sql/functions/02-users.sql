-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Users. The callers (POST /users: admin; dispatchctl; start-up) check who may
-- call these, so they take no actor.

-- Creates a user and returns {"id","username","role","driver_id","customer_id","created_at"}.
-- A driver user without p_driver_id gets a new driver (name = username, vehicle
-- car, capacity 1; driver.updated is emitted); a customer user without
-- p_customer_id gets a new customer id (a uuid as text).
-- The callers validate the input (shared/dispatch-username.c, the roles, which
-- role may carry driver_id / customer_id); the CHECK constraints of
-- dispatch.users are the backstop.
-- Errors: invalid_argument (unknown driver_id), conflict (username taken;
-- driver_id already linked to another user).
CREATE OR REPLACE FUNCTION dispatch.user_create(p_username text, p_password_hash text, p_role text,
                                                p_driver_id text, p_customer_id text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_driver uuid;
  v_customer text := p_customer_id;
  v_user dispatch.users;
BEGIN
  IF EXISTS (SELECT 1 FROM dispatch.users WHERE username = p_username) THEN
    PERFORM dispatch.raise_error('conflict', 'username is already taken', 'username');
  END IF;

  IF p_role = 'driver' THEN
    IF p_driver_id IS NULL THEN
      INSERT INTO dispatch.drivers (name) VALUES (left(p_username, 200))
      RETURNING id INTO v_driver;
      PERFORM dispatch.emit_driver(v_driver, 'system');
    ELSE
      v_driver := dispatch.to_uuid(p_driver_id);
      IF v_driver IS NULL
         OR NOT EXISTS (SELECT 1 FROM dispatch.drivers WHERE id = v_driver) THEN
        PERFORM dispatch.raise_error('invalid_argument', 'unknown driver_id', 'driver_id');
      END IF;
    END IF;
  ELSIF p_role = 'customer' AND v_customer IS NULL THEN
    v_customer := gen_random_uuid()::text;
  END IF;

  -- the unique constraints are the real guard against concurrent creations
  INSERT INTO dispatch.users (username, password_hash, role, driver_id, customer_id)
  VALUES (p_username, p_password_hash, p_role, v_driver, v_customer)
  ON CONFLICT DO NOTHING
  RETURNING * INTO v_user;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM dispatch.users WHERE username = p_username) THEN
      PERFORM dispatch.raise_error('conflict', 'username is already taken', 'username');
    END IF;
    PERFORM dispatch.raise_error('conflict',
      'this driver already has a user', 'driver_id');
  END IF;
  RETURN dispatch.user_json(v_user);
END
$$;

-- Revocable sign-ins (server/auth/dsd-account-states.h) ---------------------

-- Unix seconds rounded up: a token (whole-second iat) issued at or after this
-- is not older than the revocation.
CREATE OR REPLACE FUNCTION dispatch.valid_after_s(p timestamptz)
RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT COALESCE(ceil(extract(epoch FROM p))::bigint, 0)
$$;

-- The new tokens_valid_after of a revocation: now, and at least a second
-- after the previous one, so that a token issued between two revocations in
-- the same second (its iat is valid_after_s of the first) is refused by the
-- second.
CREATE OR REPLACE FUNCTION dispatch.revoked_now(p_previous timestamptz)
RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT GREATEST(now(), p_previous + interval '1 second')
$$;

-- What a dispatcher scoped to teams sees (its teams, their zones and
-- drivers; docs/teams.md), as an md5 that changes whenever that does; ''
-- for users in no team. Servers compare it to close the streams and drop
-- the cached reads of a dispatcher whose scope changed.
CREATE OR REPLACE FUNCTION dispatch.scope_fingerprint(p_user uuid)
RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(md5(string_agg(x.kind || x.id::text, ',' ORDER BY x.kind, x.id)), '')
  FROM (SELECT 't' AS kind, m.team_id AS id FROM dispatch.team_dispatchers m
        WHERE m.user_id = p_user
        UNION
        SELECT 'z', z.zone_id FROM dispatch.team_dispatchers m
        JOIN dispatch.team_zones z ON z.team_id = m.team_id WHERE m.user_id = p_user
        UNION
        SELECT 'd', d.driver_id FROM dispatch.team_dispatchers m
        JOIN dispatch.team_drivers d ON d.team_id = m.team_id WHERE m.user_id = p_user) x
$$;

-- {"<user id>": [disabled, tokens_valid_after_s, scope fingerprint], ...} for
-- those of p_ids that are users (the servers' token check, batched).
CREATE OR REPLACE FUNCTION dispatch.user_auth_states(p_ids uuid[])
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT COALESCE(jsonb_object_agg(u.id,
                                   jsonb_build_array(u.disabled,
                                                     dispatch.valid_after_s(u.tokens_valid_after),
                                                     dispatch.scope_fingerprint(u.id))),
                  '{}')
  FROM dispatch.users u
  WHERE u.id = ANY (p_ids)
$$;

-- The user row of p_id, locked; not_found when there is none.
CREATE OR REPLACE FUNCTION dispatch.user_for_update(p_id text)
RETURNS dispatch.users LANGUAGE plpgsql AS $$
DECLARE
  v_user dispatch.users;
BEGIN
  SELECT * INTO v_user FROM dispatch.users WHERE id = dispatch.to_uuid(p_id) FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', 'user not found');
  END IF;
  RETURN v_user;
END
$$;

-- Disables (every token refused, no sign-in) or enables a user; the user
-- object. Disabling also revokes the tokens, so enabling again does not bring
-- old ones back. An admin cannot disable themselves (conflict).
CREATE OR REPLACE FUNCTION dispatch.user_set_disabled(p_actor jsonb, p_id text,
                                                      p_disabled boolean)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_user dispatch.users := dispatch.user_for_update(p_id);
BEGIN
  IF p_disabled AND v_user.id::text = p_actor ->> 'user_id' THEN
    PERFORM dispatch.raise_error('conflict', 'you cannot disable your own account',
                                 'disabled');
  END IF;
  UPDATE dispatch.users
  SET disabled = p_disabled,
      tokens_valid_after = CASE WHEN p_disabled THEN dispatch.revoked_now(tokens_valid_after)
                                ELSE tokens_valid_after END
  WHERE id = v_user.id
  RETURNING * INTO v_user;
  RETURN dispatch.user_json(v_user);
END
$$;

-- "Sign out everywhere": every token of the user issued until now is refused.
CREATE OR REPLACE FUNCTION dispatch.user_sign_out(p_id text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_user dispatch.users := dispatch.user_for_update(p_id);
BEGIN
  UPDATE dispatch.users SET tokens_valid_after = dispatch.revoked_now(tokens_valid_after)
  WHERE id = v_user.id
  RETURNING * INTO v_user;
  RETURN dispatch.user_json(v_user);
END
$$;

-- A new password (hashed by the caller); signs the user out everywhere.
CREATE OR REPLACE FUNCTION dispatch.user_set_password(p_id text, p_password_hash text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_user dispatch.users := dispatch.user_for_update(p_id);
BEGIN
  IF p_password_hash IS NULL OR p_password_hash = '' THEN
    PERFORM dispatch.raise_error('invalid_argument', 'password is required', 'new_password');
  END IF;
  UPDATE dispatch.users
  SET password_hash = p_password_hash,
      tokens_valid_after = dispatch.revoked_now(tokens_valid_after)
  WHERE id = v_user.id
  RETURNING * INTO v_user;
  RETURN dispatch.user_json(v_user);
END
$$;

-- {"id","username","role","driver_id","customer_id","password_hash","disabled",
-- "tokens_valid_after_s"} or SQL NULL.
CREATE OR REPLACE FUNCTION dispatch.user_credentials(p_username text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('id', u.id, 'username', u.username, 'role', u.role,
                            'driver_id', u.driver_id, 'customer_id', u.customer_id,
                            'password_hash', u.password_hash, 'disabled', u.disabled,
                            'tokens_valid_after_s',
                            dispatch.valid_after_s(u.tokens_valid_after))
  FROM dispatch.users u
  WHERE u.username = p_username
$$;

-- {"users":[user...],"next"}: oldest first; cursor {"k":"users","t","i"}.
CREATE OR REPLACE FUNCTION dispatch.user_list(p_limit integer, p_cursor text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_after dispatch.page_key := dispatch.page_after(p_cursor, 'users');
BEGIN
  RETURN dispatch.page_json('users', p_limit, ARRAY(
    SELECT ROW(u.created_at, u.id, dispatch.user_json(u))::dispatch.page_row
    FROM dispatch.users u
    WHERE v_after.t IS NULL OR (u.created_at, u.id) > (v_after.t, v_after.i)
    ORDER BY u.created_at, u.id
    LIMIT p_limit + 1));
END
$$;

-- Creates user "admin" (role admin) when there are no users at all; true if it
-- did. Safe against concurrent starts.
CREATE OR REPLACE FUNCTION dispatch.ensure_first_admin(p_password_hash text)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF p_password_hash IS NULL OR p_password_hash = '' THEN
    PERFORM dispatch.raise_error('invalid_argument', 'password is required', 'password');
  END IF;
  PERFORM pg_advisory_xact_lock(7144650002);
  IF EXISTS (SELECT 1 FROM dispatch.users) THEN
    RETURN false;
  END IF;
  INSERT INTO dispatch.users (username, password_hash, role)
  VALUES ('admin', p_password_hash, 'admin')
  ON CONFLICT DO NOTHING;
  RETURN FOUND;
END
$$;
