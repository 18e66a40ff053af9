/**
 * The group transport for workers of one process (`deno serve --parallel`,
 * Deno `Worker`s, Node `worker_threads`): a `BroadcastChannel`, which the
 * runtime delivers to every worker of the process that opened one of the
 * same name. Web-standard: no runtime module.
 *
 * Messages on the group's channel: `hello` (a member joined; every member
 * answers with its own), `collect` (a view is being taken), `bye` (a member
 * leaves, with its final state). A member answers `collect` with its
 * `state` on the collector's own inbox channel, so only the collector
 * receives (and deserializes) the states.
 *
 * @module
 */

import { log } from "../src/log.ts";
import { retiredState, treeState } from "../src/worker_state.ts";
import type { NodeState } from "../src/worker_state.ts";
import type { Answer, Gathered, Missing, Transport, TransportContext } from "./_transport.ts";

/** A member unheard for this many views in a row is taken as gone. */
const MISSES_BEFORE_DEPARTED = 3;
/**
 * How long joining waits for the members already there to answer `hello`,
 * and how long a view waits for unknown members when it knows none.
 */
const GRACE_MS = 100;
/**
 * The most departed members whose totals are kept (bounded memory); past
 * that, the oldest one's totals are dropped and the drop is logged once.
 */
const MAX_DEPARTED = 256;

interface Peer {
  state: NodeState | undefined;
  misses: number;
}

interface Round {
  readonly expected: ReadonlySet<string>;
  readonly answers: Map<string, NodeState>;
  readonly done: () => void;
}

type Message =
  | { readonly t: "hello"; readonly from: string; readonly reply?: boolean }
  | { readonly t: "collect"; readonly from: string; readonly id: number }
  | {
    readonly t: "state";
    readonly from: string;
    readonly to: string;
    readonly id: number;
    readonly state: NodeState;
  }
  | { readonly t: "bye"; readonly from: string; readonly state: NodeState }
  | { readonly t: "ping"; readonly from: string; readonly id: number }
  | { readonly t: "pong"; readonly from: string; readonly id: number };

/** A short random name, unique enough within one process. */
function randomName(): string {
  return `w-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Joins the group over a `BroadcastChannel` named after the group; settles
 * once the members already there have had {@linkcode GRACE_MS} to answer.
 */
export async function broadcastTransport(context: TransportContext): Promise<Transport> {
  const worker = context.name ?? randomName();
  const name = `scales-workers/${context.group}`;
  const inboxOf = (member: string) => `${name}/to/${member}`;
  const channel = new BroadcastChannel(name);
  const inbox = new BroadcastChannel(inboxOf(worker));
  // Node: a channel must not keep the process (or thread) alive.
  for (const c of [channel, inbox]) (c as { unref?: () => void }).unref?.();
  const peers = new Map<string, Peer>();
  const departed = new Map<string, NodeState>();
  const rounds = new Map<number, Round>();
  let sequence = 0;
  let closed = false;
  let warned = false;

  const post = (message: Message) => {
    try {
      channel.postMessage(message);
    } catch (error) {
      log(`workers: cannot post to the group ${JSON.stringify(context.group)}`, error);
    }
  };

  const peer = (name: string): Peer => {
    let found = peers.get(name);
    if (found === undefined) {
      departed.delete(name);
      peers.set(name, found = { state: undefined, misses: 0 });
    }
    return found;
  };

  const depart = (name: string, state: NodeState | undefined) => {
    peers.delete(name);
    if (state === undefined) return;
    departed.set(name, retiredState(state));
    if (departed.size > MAX_DEPARTED) {
      const oldest = departed.keys().next().value!;
      departed.delete(oldest);
      if (!warned) {
        warned = true;
        log(
          `workers: more than ${MAX_DEPARTED} workers have left; the oldest one's totals are dropped`,
        );
      }
    }
  };

  const pings = new Map<number, Set<string>>();
  /** Sends `message` to `member`'s inbox only. */
  const answer = (member: string, message: Message) => {
    const out = new BroadcastChannel(inboxOf(member));
    try {
      out.postMessage(message);
    } catch (error) {
      log(`workers: cannot answer ${member} in the group ${JSON.stringify(context.group)}`, error);
    } finally {
      out.close();
    }
  };

  const receive = (event: MessageEvent) => {
    const message = event.data as Message;
    if (typeof message !== "object" || message === null || message.from === worker) return;
    switch (message.t) {
      case "hello":
        peer(message.from);
        if (message.reply !== true) post({ t: "hello", from: worker, reply: true });
        return;
      case "collect":
        peer(message.from);
        post({
          t: "state",
          from: worker,
          to: message.from,
          id: message.id,
          state: treeState(context.tree),
        });
        return;
      case "state": {
        if (message.to !== worker) return;
        const found = peer(message.from);
        found.state = message.state;
        found.misses = 0;
        const round = rounds.get(message.id);
        if (round === undefined) return;
        round.answers.set(message.from, message.state);
        for (const name of round.expected) if (!round.answers.has(name)) return;
        round.done();
        return;
      }
      case "bye":
        depart(message.from, message.state);
        return;
      case "ping":
        peer(message.from);
        answer(message.from, { t: "pong", from: worker, id: message.id });
        return;
      case "pong":
        pings.get(message.id)?.add(message.from);
        return;
    }
  };
  channel.onmessage = receive;
  inbox.onmessage = receive;
  post({ t: "hello", from: worker });
  await new Promise((resolve) => setTimeout(resolve, GRACE_MS));

  return {
    worker,
    async alive(deadlineMs: number): Promise<readonly string[]> {
      const id = ++sequence;
      const answered = new Set<string>();
      pings.set(id, answered);
      post({ t: "ping", from: worker, id });
      const expected = [...peers.keys()];
      const until = Date.now() +
        (expected.length === 0 ? Math.min(GRACE_MS, deadlineMs) : deadlineMs);
      while (Date.now() < until && !expected.every((name) => answered.has(name))) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      pings.delete(id);
      return [worker, ...answered];
    },
    async gather(deadlineMs: number): Promise<Gathered> {
      const id = ++sequence;
      const expected = new Set(peers.keys());
      const answers = new Map<string, NodeState>();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        rounds.set(id, { expected, answers, done: resolve });
        post({ t: "collect", from: worker, id });
        timer = setTimeout(
          resolve,
          expected.size === 0 ? Math.min(GRACE_MS, deadlineMs) : deadlineMs,
        );
      });
      clearTimeout(timer);
      rounds.delete(id);
      const missing: Missing[] = [];
      for (const name of expected) {
        if (answers.has(name)) continue;
        const found = peers.get(name);
        if (found === undefined) continue; // said bye meanwhile
        found.misses += 1;
        if (found.misses >= MISSES_BEFORE_DEPARTED) depart(name, found.state);
        else missing.push({ worker: name, state: found.state });
      }
      const gone: Answer[] = [...departed].map(([name, state]) => ({ worker: name, state }));
      return {
        answers: [...answers].map(([name, state]) => ({ worker: name, state })),
        missing,
        departed: gone,
      };
    },
    close(): Promise<void> {
      if (closed) return Promise.resolve();
      closed = true;
      post({ t: "bye", from: worker, state: treeState(context.tree) });
      for (const round of rounds.values()) round.done();
      channel.close();
      inbox.close();
      return Promise.resolve();
    },
  };
}
