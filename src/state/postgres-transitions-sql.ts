/**
 * The task transitions the server makes on its own (migration 4): an agent claiming its next task, an agent
 * reporting a task done, an agent's process starting (registerAgent) and its heartbeat, each one statement that locks
 * the run row, decides on the rows as they are, and writes only what changes (the task, the agents, the run's seq, the
 * ledger row, the NOTIFY). A process making them holds no copy of the run and applies no one else's commits. They are
 * the scheduler of src/team/tasks (claimTask, applyAgentReport, dispatchReady) and of startAgent for the cases it
 * decides without the whole state, and they decline the others ('undecided', nothing written), which the caller then
 * makes through `update()`:
 *   - a run with manual checkpoints (a person's approval holds tasks),
 *   - ready tasks that declare files (they may wait for tasks touching the same files),
 *   - a run whose levels and dependents were never written (no commit of this build yet),
 *   - a report that repeats the task's last output (a loop, which raises a blocker),
 *   - a dependent whose other dependencies failed, were cancelled or do not exist.
 * A task's level (the longest chain of work from it, see taskLevels) and its dependents (the tasks that wait for it,
 * in plan order) are columns the commit writes whenever the plan's graph changes, and runs.graph_seq the seq of that
 * commit, so that a caller knows when the plan's ids changed.
 * They run with generic plans (migration 5), made without the parameters' values: every lookup of a task goes by its
 * whole key, one key at a time (LATERAL ... LIMIT 1 keeps the planner from joining the keys with a scan of the run's
 * tasks), or by an index made for it. test/state/postgres-transition-rows.test.ts counts the rows they visit.
 * Only a report that may give someone something to do, and a registration, NOTIFY the run's channel (see WatchScope):
 * a claim, a heartbeat, or a report whose next task goes to its reporter, wakes no other process, not even the
 * server's listening sessions, which PostgreSQL signals on any NOTIFY in their database.
 */

// The checkpoints of a manual run hold tasks until a person approves them: only update() knows how.
const HELD = `jsonb_array_length(COALESCE(v_run.data #> '{execution,checkpoints}', '[]'::jsonb)) > 0`;

// What an agent needs of a task it was given, as jsonb into `into`: the task, its dependencies and its blockers (as
// rows), and the ids of the tasks in plan order when the plan changed since the caller's p_graph_seq (`run`: the
// run's graph_seq and ids_seq). The caller holds the p_ids_known first ids of the plan as of p_graph_seq; when no task
// was removed or moved since (ids_seq), those are still the first ids and only the ids after them are sent
// (taskIdsFrom: p_ids_known), else all of them (taskIdsFrom: 0). A prerequisite a resolution adds is appended: sending
// the whole plan on each would cost as much as the plan, once per agent. Statements written into each function that
// grants (v_deps, v_ids and v_ids_from declared there): a call of a PL/pgSQL function costs more than the statements it makes.
const grant = (input: { task: string; into: string; run: { graphSeq: string; idsSeq: string } }): string => `
    IF ${input.run.graphSeq} IS DISTINCT FROM p_graph_seq AND v_ids IS NULL THEN
      v_ids_from := CASE WHEN p_graph_seq >= ${input.run.idsSeq} THEN p_ids_known ELSE 0 END;
      -- Read in the order of tasks_position, from the first place sent: a generic plan would rather read every task
      -- of the run by its key and sort them.
      SELECT COALESCE(jsonb_agg(s.key ORDER BY s.position), '[]'::jsonb) INTO v_ids FROM (SELECT t.key, t.position FROM tasks t
        WHERE t.run_key = p_run AND t.position >= v_ids_from AND NOT t.deleted ORDER BY t.run_key, t.position) s;
    END IF;
    v_deps := '[]';
    IF jsonb_array_length(${input.task}.data -> 'dependsOn') > 0 THEN
      SELECT COALESCE(jsonb_agg(to_jsonb(d.task) ORDER BY (d.task).position), '[]'::jsonb) INTO v_deps
        FROM (SELECT DISTINCT x.key FROM jsonb_array_elements_text(${input.task}.data -> 'dependsOn') AS x(key)) k
        CROSS JOIN LATERAL (SELECT t FROM tasks t WHERE t.run_key = p_run AND t.key = k.key AND NOT t.deleted LIMIT 1) AS d(task);
    END IF;
    ${input.into} := jsonb_build_object('task', to_jsonb(${input.task}), 'dependencies', v_deps,
      'blockers', (SELECT COALESCE(jsonb_agg(to_jsonb(b) ORDER BY b.position), '[]'::jsonb) FROM blockers b
        WHERE b.run_key = p_run AND NOT b.deleted AND b.task_id = ${input.task}.key),
      'graphSeq', ${input.run.graphSeq}, 'taskIds', v_ids, 'taskIdsFrom', v_ids_from);`;

// The run's seqs a grant compares with the caller's, in a function that locked or read the run into v_run.
const RUN_SEQS = { graphSeq: 'v_run.graph_seq', idsSeq: 'v_run.ids_seq' };

// The grants of the tasks an agent holds (the look), one call per task.
const grantFunction = `
CREATE FUNCTION agent_team_grant(p_run text, p_task tasks, p_graph_seq bigint, p_ids_known integer, p_run_graph_seq bigint,
  p_run_ids_seq bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $grant$
DECLARE
  v_ids jsonb;
  v_ids_from integer := 0;
  v_deps jsonb;
  v_grant jsonb;
BEGIN
${grant({ task: 'p_task', into: 'v_grant', run: { graphSeq: 'p_run_graph_seq', idsSeq: 'p_run_ids_seq' } })}
  RETURN v_grant;
END
$grant$;`;

// The first statements of a transition: the run row into v_run, locked until the transaction ends, or the answer
// why the transition cannot be made: no such run, or a lease that is no longer the run's. Written into each
// transition rather than called: a call of a PL/pgSQL function costs more than the statement it makes.
const LOCK_RUN = `
  SELECT * INTO v_run FROM runs WHERE run_key = p_run FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('kind', 'missing');
  ELSIF p_lease IS NOT NULL AND v_run.owner_lease IS DISTINCT FROM p_lease THEN
    RETURN jsonb_build_object('kind', 'not-owner', 'runId', v_run.id, 'owner', v_run.owner);
  END IF;`;

// The ready task agent `agent` (of role `role`) takes next, into `into` (all NULL when there is none; scheduler.ts
// nextTaskFor): its own handed-back work first, in plan order; then a task nobody holds, or whose holder stopped,
// heading the longest chain of work (plan order on ties).
const pick = (input: { into: string; agent: string; role: string }): string => `
    SELECT * INTO ${input.into} FROM tasks
      WHERE run_key = p_run AND status = 'ready' AND role = ${input.role} AND assignee = ${input.agent} AND NOT deleted
      ORDER BY position LIMIT 1;
    IF NOT FOUND THEN
      SELECT * INTO ${input.into} FROM tasks t
        WHERE t.run_key = p_run AND t.status = 'ready' AND t.role = ${input.role} AND NOT t.deleted
          AND (t.assignee IS NULL OR (t.assignee <> ${input.agent} AND EXISTS (
            SELECT 1 FROM agents a WHERE a.run_key = p_run AND a.key = t.assignee AND NOT a.deleted AND a.status = 'stopped')))
        ORDER BY t.level DESC, t.position LIMIT 1;
    END IF;`;

// Gives task `task` to agent `agent` in commit v_seq (claim-task.ts assignTask): in progress, its fence moved on, counted
// against the agent (which holds `active` besides: its tasks as written, or as they will be), whose model for it is
// models[complexity][min(attempts, 2)]; with `heartbeat`, the agent's heartbeat is p_at. The task as written goes into
// v_claimed and its task-claim event onto v_events (v_model declared too).
const assign = (input: { task: string; agent: string; models: string; active: string; heartbeat: boolean }): string => {
  const { task, agent } = input;
  return `
    v_model := ${input.models} #>> ARRAY[${task}.data ->> 'complexity', least((${task}.data ->> 'attempts')::integer, 2)::text];
    IF v_model IS NULL THEN
      RAISE EXCEPTION 'agent_team: no model for % tasks in the models given for %', ${task}.data ->> 'complexity', ${agent};
    END IF;
    UPDATE tasks SET status = 'in_progress', assignee = ${agent}, fence = fence + 1, updated_seq = v_seq,
        data = data || jsonb_build_object('waitingFor', NULL, 'claimedAt', p_at)
      WHERE run_key = p_run AND key = ${task}.key
      RETURNING * INTO v_claimed;
    UPDATE agents SET status = 'working', updated_seq = v_seq,
        data = data || jsonb_build_object('activeTasks', ${input.active} || to_jsonb(${task}.key), 'model', v_model)${
          input.heartbeat ? ` || jsonb_build_object('heartbeatAt', p_at)` : ''
        }
      WHERE run_key = p_run AND key = ${agent};
    v_events := v_events || jsonb_build_array(jsonb_build_object('type', 'task-claim', 'agentId', ${agent}, 'taskId', ${task}.key,
      'attempt', (${task}.data ->> 'attempts')::integer + 1, 'model', v_model));`;
};

// Ready tasks handed to the roster's live agents with room (p_roster: [{id, models}], in roster order, the manager left
// out), as claim-task.ts dispatchReady does when no task declares files. The agent p_agent (the reporter, or the agent
// registering) holds v_left when that is not NULL, its row not yet written; with `grants`, the grants of the tasks it
// is handed go onto v_grants. Handing a task to another agent sets v_work (it wakes to start it). Written into the
// functions that dispatch, whose variables it uses (see assign, pick and grant).
const dispatch = (input: { grants: boolean }): string => `
  -- Ready tasks go to the roster's live agents with room, in roster order (claim-task.ts dispatchReady). Which agents
  -- have room is read once: handing out tasks only takes room away.
  IF v_run.status = 'running' THEN
    FOR v_member IN SELECT r.member FROM jsonb_array_elements(p_roster) WITH ORDINALITY AS r(member, n)
        CROSS JOIN LATERAL (SELECT 1 FROM agents a WHERE a.run_key = p_run AND a.key = r.member ->> 'id' AND NOT a.deleted
          AND a.data ->> 'heartbeatAt' IS NOT NULL
          AND ${room('a', `CASE WHEN a.key = p_agent AND v_left IS NOT NULL THEN v_left ELSE a.data -> 'activeTasks' END`)} LIMIT 1) AS live
        ORDER BY r.n LOOP
      LOOP
        SELECT * INTO v_agent FROM agents WHERE run_key = p_run AND key = v_member ->> 'id' AND NOT deleted;
        EXIT WHEN NOT FOUND;
        IF v_agent.key = p_agent AND v_left IS NOT NULL THEN
          v_agent.data := jsonb_set(v_agent.data, '{activeTasks}', v_left);
        END IF;
        EXIT WHEN v_agent.data ->> 'heartbeatAt' IS NULL OR NOT (${ROOM});
${pick({ into: 'v_next', agent: 'v_agent.key', role: 'v_agent.role' })}
        EXIT WHEN v_next.key IS NULL;
${assign({
  task: 'v_next',
  agent: 'v_agent.key',
  models: "(v_member -> 'models')",
  active: "COALESCE(CASE WHEN v_agent.key = p_agent THEN v_left END, data -> 'activeTasks')",
  heartbeat: false,
})}
        v_handed := v_handed || v_next.key;
        IF v_agent.key = p_agent THEN
          v_left := NULL;${
            input.grants
              ? `${grant({ task: 'v_claimed', into: 'v_grant', run: RUN_SEQS })}
          v_grants := v_grants || jsonb_build_array(v_grant);`
              : ''
          }
        ELSE
          -- Another agent, idle, is handed a task: it wakes to start it.
          v_work := true;
        END IF;
        -- The task taken counts against the agent: full now, it is not read again.
        EXIT WHEN jsonb_array_length(v_agent.data -> 'activeTasks') + 1 >= (v_agent.data ->> 'maxConcurrentTasks')::integer;
      END LOOP;
    END LOOP;
  END IF;
`;

// True when the agent (a row of agents named `agent`, holding the tasks `active`) can take another task now (live, with room).
const room = (agent: string, active = `${agent}.data -> 'activeTasks'`): string =>
  `${agent}.status <> 'stopped' AND jsonb_array_length(${active}) < (${agent}.data ->> 'maxConcurrentTasks')::integer`;
const ROOM = room('v_agent');

/**
 * What an agent looks at before it decides what to do (next-work.ts nextWork), read without a lock and written
 * nowhere: {kind: 'missing'}, or {kind: 'look', runStatus, agentStatus (null: no such agent), room (it may take
 * another task), held} where held are the grants of the tasks in progress that the agent holds, in plan order.
 */
const lookFunction = `
CREATE FUNCTION agent_team_look(p_run text, p_agent text, p_graph_seq bigint, p_ids_known integer) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $look$
DECLARE
  v_run runs;
  v_agent agents;
  v_held jsonb;
BEGIN
  SELECT * INTO v_run FROM runs WHERE run_key = p_run;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('kind', 'missing');
  END IF;
  SELECT COALESCE(jsonb_agg(agent_team_grant(p_run, t, p_graph_seq, p_ids_known, v_run.graph_seq, v_run.ids_seq) ORDER BY t.position), '[]'::jsonb) INTO v_held
    FROM tasks t WHERE t.run_key = p_run AND t.assignee = p_agent AND t.status = 'in_progress' AND NOT t.deleted;
  SELECT * INTO v_agent FROM agents WHERE run_key = p_run AND key = p_agent AND NOT deleted;
  RETURN jsonb_build_object('kind', 'look', 'runStatus', v_run.status, 'agentStatus', v_agent.status,
    'room', FOUND AND ${ROOM}, 'held', v_held);
END
$look$;`;

/**
 * claimTask: answers {kind: 'missing'}, {kind: 'not-owner', runId, owner}, {kind: 'undecided'}, {kind: 'none'}
 * (nothing to take: nothing written), or {kind: 'claimed', seq, grant}.
 */
const claimFunction = `
CREATE FUNCTION agent_team_claim(p_run text, p_agent text, p_lease text, p_models jsonb, p_graph_seq bigint, p_ids_known integer,
  p_at text, p_commit_id uuid, p_channel text) RETURNS jsonb
LANGUAGE plpgsql AS $claim$
DECLARE
  v_run runs;
  v_agent agents;
  v_task tasks;
  v_claimed tasks;
  v_model text;
  v_seq bigint;
  v_events jsonb := '[]'::jsonb;
  v_grant jsonb;
  v_deps jsonb;
  v_ids jsonb;
  v_ids_from integer := 0;
BEGIN
${LOCK_RUN}
  IF v_run.status IS DISTINCT FROM 'running' THEN
    RETURN jsonb_build_object('kind', 'none');
  END IF;
  SELECT * INTO v_agent FROM agents WHERE run_key = p_run AND key = p_agent AND NOT deleted;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('kind', 'none');
  END IF;
  IF v_run.graph_seq = 0 OR ${HELD} THEN
    RETURN jsonb_build_object('kind', 'undecided');
  END IF;
  IF EXISTS (SELECT 1 FROM tasks WHERE run_key = p_run AND status = 'ready' AND NOT deleted
      AND jsonb_array_length(data -> 'files') > 0 AND role = v_agent.role) THEN
    RETURN jsonb_build_object('kind', 'undecided');
  END IF;
  IF NOT (${ROOM}) THEN
    RETURN jsonb_build_object('kind', 'none');
  END IF;
${pick({ into: 'v_task', agent: 'p_agent', role: 'v_agent.role' })}
  IF v_task.key IS NULL THEN
    RETURN jsonb_build_object('kind', 'none');
  END IF;
  v_seq := v_run.seq + 1;
  UPDATE runs SET seq = v_seq WHERE run_key = p_run;
${assign({ task: 'v_task', agent: 'p_agent', models: 'p_models', active: "data -> 'activeTasks'", heartbeat: true })}
  INSERT INTO ledger (run_key, seq, at, commit_id, events) VALUES (p_run, v_seq, p_at, p_commit_id, v_events);
${grant({ task: 'v_claimed', into: 'v_grant', run: RUN_SEQS })}
  -- A claim gives no one else anything to do: no NOTIFY.
  RETURN jsonb_build_object('kind', 'claimed', 'seq', v_seq, 'grant', v_grant);
END
$claim$;`;

/**
 * A model call's spend, settled in the report's commit (model-caller.ts settle, budget-book.ts settleReservation):
 * p_spend = {reservationId, usd, tokens, usage: {inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens,
 * reasoningTokens?}, event}. The budget row's CHECK refuses an overspend, as for any commit.
 */
const spendFunction = `
CREATE FUNCTION agent_team_spend(p_run text, p_agent text, p_spend jsonb, p_seq bigint, p_at text) RETURNS void
LANGUAGE plpgsql AS $spend$
DECLARE
  v_reservation reservations;
  v_left boolean;
  v_usage jsonb := p_spend -> 'usage';
BEGIN
  SELECT * INTO v_reservation FROM reservations
    WHERE run_key = p_run AND key = p_spend ->> 'reservationId' AND NOT deleted;
  IF FOUND THEN
    UPDATE reservations SET deleted = true, updated_seq = p_seq WHERE run_key = p_run AND key = v_reservation.key;
    v_left := EXISTS (SELECT 1 FROM reservations WHERE run_key = p_run AND NOT deleted);
    UPDATE budget SET updated_seq = p_seq,
        reserved_usd = CASE WHEN v_left THEN greatest(0, reserved_usd - v_reservation.usd) ELSE 0 END,
        reserved_tokens = CASE WHEN v_left THEN greatest(0, reserved_tokens - v_reservation.tokens) ELSE 0 END
      WHERE run_key = p_run AND key = 'budget';
  END IF;
  UPDATE budget SET updated_seq = p_seq, spent_usd = spent_usd + (p_spend ->> 'usd')::double precision,
      spent_tokens = spent_tokens + (p_spend ->> 'tokens')::bigint
    WHERE run_key = p_run AND key = 'budget';
  UPDATE agents SET updated_seq = p_seq, data = data || jsonb_build_object(
      'usage', (data -> 'usage') || jsonb_build_object(
        'inputTokens', (data #>> '{usage,inputTokens}')::bigint + (v_usage ->> 'inputTokens')::bigint,
        'outputTokens', (data #>> '{usage,outputTokens}')::bigint + (v_usage ->> 'outputTokens')::bigint,
        'cacheReadTokens', (data #>> '{usage,cacheReadTokens}')::bigint + (v_usage ->> 'cacheReadTokens')::bigint,
        'cacheWriteTokens', (data #>> '{usage,cacheWriteTokens}')::bigint + (v_usage ->> 'cacheWriteTokens')::bigint)
        || CASE WHEN v_usage ? 'reasoningTokens' THEN jsonb_build_object('reasoningTokens',
          COALESCE((data #>> '{usage,reasoningTokens}')::bigint, 0) + (v_usage ->> 'reasoningTokens')::bigint) ELSE '{}'::jsonb END,
      'costUsd', (data ->> 'costUsd')::double precision + (p_spend ->> 'usd')::double precision,
      'calls', (data ->> 'calls')::integer + 1,
      'heartbeatAt', p_at)
    WHERE run_key = p_run AND key = p_agent AND NOT deleted;
END
$spend$;`;

/**
 * claimIsCurrent + applyAgentReport for a report of work done without a workspace: the spend settled, the task done,
 * its dependents ready, and ready tasks handed to the live agents of the roster (p_roster: [{id, models}], in roster
 * order, the manager left out) as dispatchReady does. Answers {kind: 'missing' | 'not-owner' | 'undecided'} (nothing
 * written), {kind: 'rejected', seq} (a stale claim: the spend and the report-reject event written), or
 * {kind: 'done', seq, grants} where grants are the tasks handed to the reporter.
 */
const reportDoneFunction = `
CREATE FUNCTION agent_team_report_done(p_run text, p_agent text, p_task text, p_fence bigint, p_lease text, p_result jsonb,
  p_normalized text, p_detail text, p_spend jsonb, p_roster jsonb, p_graph_seq bigint, p_ids_known integer, p_at text, p_commit_id uuid,
  p_channel text) RETURNS jsonb
LANGUAGE plpgsql AS $report$
DECLARE
  v_run runs;
  v_task tasks;
  v_agent agents;
  v_next tasks;
  v_claimed tasks;
  v_model text;
  v_member jsonb;
  v_reason text;
  v_pending tasks[] := '{}';
  v_dependent tasks;
  v_needed text[];
  v_ready boolean;
  v_seq bigint;
  v_events jsonb := '[]'::jsonb;
  v_grant jsonb;
  v_grants jsonb := '[]'::jsonb;
  v_deps jsonb;
  v_ids jsonb;
  v_ids_from integer := 0;
  v_left jsonb;
  v_readied text[] := '{}';
  v_handed text[] := '{}';
  v_work boolean := false;
BEGIN
${LOCK_RUN}
  SELECT * INTO v_task FROM tasks WHERE run_key = p_run AND key = p_task AND NOT deleted;
  IF NOT FOUND THEN
    v_reason := 'the task is not in the state';
  ELSIF v_task.fence <> p_fence THEN
    v_reason := format('the task was claimed again since (claim %s)', v_task.fence);
  ELSIF v_task.status <> 'in_progress' OR v_task.assignee IS DISTINCT FROM p_agent THEN
    v_reason := format('the task is %s, no longer held by %s', v_task.status, p_agent);
  END IF;
  IF v_reason IS NULL THEN
    IF v_run.graph_seq = 0 OR ${HELD} OR v_task.data ->> 'lastOutput' = p_normalized THEN
      RETURN jsonb_build_object('kind', 'undecided');
    END IF;
    -- Its dependents still waiting (their keys written with the plan's graph).
    IF cardinality(v_task.dependents) > 0 THEN
      v_pending := ARRAY(SELECT d.task FROM unnest(v_task.dependents) WITH ORDINALITY AS k(key, n)
        CROSS JOIN LATERAL (SELECT t FROM tasks t WHERE t.run_key = p_run AND t.key = k.key AND NOT t.deleted AND t.status = 'pending'
          LIMIT 1) AS d(task) ORDER BY k.n);
    END IF;
    IF cardinality(v_pending) > 0 THEN
      -- A dependent that declares files, or that would be cancelled, not made ready: one of its other dependencies
      -- failed, was cancelled or does not exist (the reported task itself is in progress).
      IF EXISTS (SELECT 1 FROM unnest(v_pending) d WHERE jsonb_array_length(d.data -> 'files') > 0) THEN
        RETURN jsonb_build_object('kind', 'undecided');
      END IF;
      v_needed := ARRAY(SELECT DISTINCT x.id FROM unnest(v_pending) d, jsonb_array_elements_text((d.data -> 'dependsOn') - p_task) AS x(id));
      IF cardinality(v_needed) > 0 THEN
        IF (SELECT count(*) FROM unnest(v_needed) AS k(key) CROSS JOIN LATERAL (SELECT 1 FROM tasks y WHERE y.run_key = p_run
            AND y.key = k.key AND NOT y.deleted AND y.status NOT IN ('failed', 'cancelled') LIMIT 1) AS y) < cardinality(v_needed) THEN
          RETURN jsonb_build_object('kind', 'undecided');
        END IF;
      END IF;
    END IF;
    -- A ready task that declares files.
    IF EXISTS (SELECT 1 FROM tasks f WHERE f.run_key = p_run AND f.status = 'ready' AND NOT f.deleted
        AND jsonb_array_length(f.data -> 'files') > 0) THEN
      RETURN jsonb_build_object('kind', 'undecided');
    END IF;
  END IF;
  v_seq := v_run.seq + 1;
  UPDATE runs SET seq = v_seq WHERE run_key = p_run;
  IF p_spend IS NOT NULL THEN
    PERFORM agent_team_spend(p_run, p_agent, p_spend, v_seq, p_at);
    v_events := v_events || jsonb_build_array(p_spend -> 'event');
    -- A model call waiting for room under a limit (budget-guard.ts) tries again once a reservation is settled.
    v_work := EXISTS (SELECT 1 FROM budget b WHERE b.run_key = p_run AND b.key = 'budget' AND (b.limit_usd IS NOT NULL
      OR b.limit_tokens IS NOT NULL OR b.per_agent_usd IS NOT NULL OR b.per_agent_tokens IS NOT NULL));
  END IF;
  IF v_reason IS NOT NULL THEN
    v_events := v_events || jsonb_build_array(jsonb_build_object('type', 'report-reject', 'agentId', p_agent, 'taskId', p_task,
      'fence', p_fence, 'current', COALESCE(v_task.fence, 0), 'reason', v_reason));
    INSERT INTO ledger (run_key, seq, at, commit_id, events) VALUES (p_run, v_seq, p_at, p_commit_id, v_events);
    IF v_work THEN
      PERFORM pg_notify(p_channel, v_seq::text);
    END IF;
    RETURN jsonb_build_object('kind', 'rejected', 'seq', v_seq, 'work', v_work);
  END IF;
  -- The reporter leaves the task (report-result.ts leaveTask): v_left, the tasks it holds then, is written with the
  -- next task the dispatch hands it, or else on its own at the end (one write of its row either way). The task is done.
  SELECT * INTO v_agent FROM agents WHERE run_key = p_run AND key = p_agent AND NOT deleted;
  IF FOUND THEN
    v_left := COALESCE((v_agent.data -> 'activeTasks') - p_task, '[]'::jsonb);
  END IF;
  UPDATE tasks SET status = 'done', updated_seq = v_seq, data = data || jsonb_build_object(
      'iterations', (data ->> 'iterations')::integer + 1, 'lastOutput', p_normalized, 'result', p_result, 'completedAt', p_at)
    WHERE run_key = p_run AND key = p_task;
  v_events := v_events || jsonb_build_array(jsonb_build_object('type', 'task-end', 'agentId', p_agent, 'taskId', p_task,
    'status', 'done', 'detail', p_detail));
  -- Its dependents whose dependencies are all done now are ready (scheduler.ts refreshReadiness), in plan order.
  FOREACH v_dependent IN ARRAY v_pending LOOP
    -- Waiting for the reported task alone, or for others that are all done too.
    v_ready := (v_dependent.data -> 'dependsOn') - p_task = '[]'::jsonb;
    IF NOT v_ready THEN
      v_ready := (SELECT count(*) FROM (SELECT DISTINCT x.key FROM jsonb_array_elements_text(v_dependent.data -> 'dependsOn') AS x(key)) k
          CROSS JOIN LATERAL (SELECT 1 FROM tasks y WHERE y.run_key = p_run AND y.key = k.key AND NOT y.deleted AND y.status = 'done'
            LIMIT 1) AS y)
        = (SELECT count(DISTINCT x) FROM jsonb_array_elements_text(v_dependent.data -> 'dependsOn') AS x);
    END IF;
    IF v_ready THEN
      UPDATE tasks SET status = 'ready', updated_seq = v_seq WHERE run_key = p_run AND key = v_dependent.key AND status = 'pending';
      IF FOUND THEN
        v_events := v_events || jsonb_build_array(jsonb_build_object('type', 'task-ready', 'taskId', v_dependent.key));
        v_readied := v_readied || v_dependent.key;
      END IF;
    END IF;
  END LOOP;
${dispatch({ grants: true })}
  IF v_left IS NOT NULL THEN
    UPDATE agents SET updated_seq = v_seq, data = jsonb_set(data, '{activeTasks}', v_left),
        status = CASE WHEN status = 'working' AND jsonb_array_length(v_left) = 0 THEN 'idle' ELSE status END
      WHERE run_key = p_run AND key = p_agent;
  END IF;
  INSERT INTO ledger (run_key, seq, at, commit_id, events) VALUES (p_run, v_seq, p_at, p_commit_id, v_events);
  -- Someone may have something to do when the reporter was handed nothing: the queue of its role is empty, maybe
  -- every task is finished (the coordinator ends the run then; an index of the open tasks to tell would be one that
  -- the other lookups' plans could pick). Or when a task made ready went to nobody while an agent of its role waits
  -- with room but was not handed it, not being alive yet (no heartbeat: it claims for itself).
  v_work := v_work OR jsonb_array_length(v_grants) = 0;
  IF NOT v_work AND NOT (v_readied <@ v_handed) THEN
    v_work := EXISTS (SELECT 1 FROM agents a WHERE a.run_key = p_run AND NOT a.deleted AND a.data ->> 'heartbeatAt' IS NULL
      AND ${room('a')} AND a.role IN (SELECT r.role FROM unnest(v_readied) AS k(key)
        CROSS JOIN LATERAL (SELECT t.role FROM tasks t WHERE t.run_key = p_run AND t.key = k.key LIMIT 1) AS r
        WHERE NOT (k.key = ANY (v_handed))));
  END IF;
  IF v_work THEN
    PERFORM pg_notify(p_channel, v_seq::text);
  END IF;
  RETURN jsonb_build_object('kind', 'done', 'seq', v_seq, 'grants', v_grants, 'work', v_work);
END
$report$;`;

/**
 * registerAgent (agent-lifecycle.ts) for an agent that nothing of an earlier process holds on to: alive and idle, its
 * agent-start event, and ready tasks handed out (dispatch). Answers {kind: 'missing' | 'not-owner' | 'undecided'}
 * (nothing written) or {kind: 'registered', seq, runId, workspace}. Undecided, for update() to make with the whole
 * state: an agent not in the run; one whose record names a process that may still serve it (not stopped, with a pid
 * and a heartbeat: whether that process lives is for the caller to find out), or that holds tasks or budget
 * reservations left by one; a run whose plan was never written, with manual checkpoints, or with ready tasks that
 * declare files. Always NOTIFYs, as an update() does.
 */
const registerFunction = `
CREATE FUNCTION agent_team_register(p_run text, p_agent text, p_pid integer, p_host text, p_lease text, p_roster jsonb, p_at text,
  p_commit_id uuid, p_channel text) RETURNS jsonb
LANGUAGE plpgsql AS $register$
DECLARE
  v_run runs;
  v_agent agents;
  v_next tasks;
  v_claimed tasks;
  v_model text;
  v_member jsonb;
  v_seq bigint;
  v_events jsonb;
  v_left jsonb;
  v_handed text[] := '{}';
  v_work boolean := false;
BEGIN
${LOCK_RUN}
  SELECT * INTO v_agent FROM agents WHERE run_key = p_run AND key = p_agent AND NOT deleted;
  IF NOT FOUND OR v_run.graph_seq = 0 OR ${HELD}
      OR (v_agent.status <> 'stopped' AND v_agent.data ->> 'pid' IS NOT NULL AND v_agent.data ->> 'heartbeatAt' IS NOT NULL)
      OR jsonb_array_length(v_agent.data -> 'activeTasks') > 0 THEN
    RETURN jsonb_build_object('kind', 'undecided');
  END IF;
  IF EXISTS (SELECT 1 FROM reservations r WHERE r.run_key = p_run AND NOT r.deleted AND r.agent_id = p_agent) THEN
    RETURN jsonb_build_object('kind', 'undecided');
  END IF;
  IF EXISTS (SELECT 1 FROM tasks f WHERE f.run_key = p_run AND f.status = 'ready' AND NOT f.deleted
      AND jsonb_array_length(f.data -> 'files') > 0) THEN
    RETURN jsonb_build_object('kind', 'undecided');
  END IF;
  v_seq := v_run.seq + 1;
  UPDATE runs SET seq = v_seq WHERE run_key = p_run;
  UPDATE agents SET status = 'idle', updated_seq = v_seq, data = data || jsonb_build_object('activeTasks', '[]'::jsonb,
      'pid', p_pid, 'host', p_host, 'heartbeatAt', p_at, 'stopReason', NULL)
    WHERE run_key = p_run AND key = p_agent;
  v_events := jsonb_build_array(jsonb_build_object('type', 'agent-start', 'agentId', p_agent, 'pid', p_pid, 'host', p_host));
${dispatch({ grants: false })}
  INSERT INTO ledger (run_key, seq, at, commit_id, events) VALUES (p_run, v_seq, p_at, p_commit_id, v_events);
  PERFORM pg_notify(p_channel, v_seq::text);
  RETURN jsonb_build_object('kind', 'registered', 'seq', v_seq, 'runId', v_run.id, 'workspace', v_run.options ->> 'workspace');
END
$register$;`;

/**
 * An agent's heartbeat (heartbeat.ts): its heartbeatAt, in a commit of its own that wakes no one (a heartbeat gives no
 * one anything to do). Answers {kind: 'missing' | 'not-owner'}, {kind: 'undecided'} (no such agent: nothing written)
 * or {kind: 'beat', seq}.
 */
const beatFunction = `
CREATE FUNCTION agent_team_beat(p_run text, p_agent text, p_lease text, p_at text, p_commit_id uuid) RETURNS jsonb
LANGUAGE plpgsql AS $beat$
DECLARE
  v_run runs;
  v_seq bigint;
BEGIN
${LOCK_RUN}
  v_seq := v_run.seq + 1;
  UPDATE agents SET updated_seq = v_seq, data = data || jsonb_build_object('heartbeatAt', p_at)
    WHERE run_key = p_run AND key = p_agent AND NOT deleted;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('kind', 'undecided');
  END IF;
  UPDATE runs SET seq = v_seq WHERE run_key = p_run;
  INSERT INTO ledger (run_key, seq, at, commit_id, events) VALUES (p_run, v_seq, p_at, p_commit_id, '[]'::jsonb);
  RETURN jsonb_build_object('kind', 'beat', 'seq', v_seq);
END
$beat$;`;

/** The SQL of migration 4's functions (see the file comment). */
export const TRANSITION_FUNCTIONS =
  grantFunction + lookFunction + claimFunction + spendFunction + reportDoneFunction + registerFunction + beatFunction;
