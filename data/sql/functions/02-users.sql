-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Users. The callers (POST /users: admin; dispatchctl; start-up) check who may
-- call these, so they take no actor.

-- Creates a user and returns {"id","username","role","driver_id","customer_id","created_at"}.
-- A driver user without p_driver_id gets a new driver (name = username, vehicle
-- car, capacity 1; driver.updated is emitted); a customer user without
-- p_customer_id gets a new customer id (a uuid as text).
-- Errors: invalid_argument (username, password, role, driver_id, customer_id),
-- conflict (username taken; driver_id already linked to another user).
CREATE OR REPLACE FUNCTION dispatch.user_create(p_username text, p_password_hash text, p_role text,
                                     p_driver_id text, p_customer_id text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_driver uuid;
  v_customer text := p_customer_id;
  v_user dispatch.users;
BEGIN
  IF p_username IS NULL OR length(p_username) NOT BETWEEN 1 AND 64 THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'username must be 1 to 64 characters', 'username');
  END IF;
  IF p_password_hash IS NULL OR p_password_hash = '' THEN
    PERFORM dispatch.raise_error('invalid_argument', 'password is required', 'password');
  END IF;
  IF p_role IS NULL OR p_role NOT IN ('admin', 'dispatcher', 'driver', 'customer') THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'role must be one of admin, dispatcher, driver, customer', 'role');
  END IF;
  IF p_driver_id IS NOT NULL AND p_role <> 'driver' THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'driver_id is only allowed for role driver', 'driver_id');
  END IF;
  IF p_customer_id IS NOT NULL AND p_role <> 'customer' THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'customer_id is only allowed for role customer', 'customer_id');
  END IF;
  IF p_customer_id IS NOT NULL AND length(p_customer_id) NOT BETWEEN 1 AND 200 THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'customer_id must be 1 to 200 characters', 'customer_id');
  END IF;
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

-- {"id","username","role","driver_id","customer_id","password_hash"} or SQL NULL.
CREATE OR REPLACE FUNCTION dispatch.user_credentials(p_username text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('id', u.id, 'username', u.username, 'role', u.role,
                            'driver_id', u.driver_id, 'customer_id', u.customer_id,
                            'password_hash', u.password_hash)
  FROM dispatch.users u
  WHERE u.username = p_username
$$;

-- {"users":[user...],"next"}: oldest first; cursor {"k":"users","t","i"}.
CREATE OR REPLACE FUNCTION dispatch.user_list(p_limit integer, p_cursor text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_limit integer := dispatch.page_limit(p_limit);
  v_c jsonb := dispatch.cursor_decode(p_cursor, 'users');
  v_ct timestamptz;
  v_ci uuid;
  v_items jsonb[] := '{}';
  v_last dispatch.users;
  v_next text;
  r dispatch.users;
BEGIN
  IF v_c IS NOT NULL THEN
    v_ct := dispatch.cursor_ts(v_c, 't');
    v_ci := dispatch.to_uuid(v_c ->> 'i');
    IF v_ct IS NULL OR v_ci IS NULL THEN
      PERFORM dispatch.raise_error('invalid_argument', 'next is not a valid cursor', 'next');
    END IF;
  END IF;
  FOR r IN
    SELECT * FROM dispatch.users u
    WHERE v_c IS NULL OR (u.created_at, u.id) > (v_ct, v_ci)
    ORDER BY u.created_at, u.id
    LIMIT v_limit + 1
  LOOP
    IF cardinality(v_items) = v_limit THEN
      v_next := dispatch.cursor_encode(jsonb_build_object(
        'k', 'users', 't', dispatch.ts_json(v_last.created_at), 'i', v_last.id));
      EXIT;
    END IF;
    v_items := array_append(v_items, dispatch.user_json(r));
    v_last := r;
  END LOOP;
  RETURN jsonb_build_object('users', to_jsonb(v_items), 'next', v_next);
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
