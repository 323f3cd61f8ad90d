/**
 * The worker processes of the conformance suite, each started once and given jobs one after
 * another on its stdin (see store-worker.ts): starting a process that loads the store, the config
 * and the team's code costs more CPU than most jobs, and a test file runs about thirty jobs.
 * Jobs that run at once always run in distinct processes; a process whose job failed or that a
 * test killed is gone, and the next job that needs one starts a new one.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { PrintedLines, projectRoot, type Worker } from '../../fixtures/worker-processes.js';
import { JOB_END, type WorkerJob } from './worker-job.js';

/** One job on a pooled process: the process, what it printed for this job, and how the job ended. */
export interface PooledJob extends Worker {
  /** Kills the process unless the job has ended (then the process stays for the next job); resolves once the job is over. */
  stop(): Promise<void>;
}

interface Listener {
  line(line: string): void;
  stderr(text: string): void;
  exit(code: number | string): void;
}

/** A worker process and the job it runs now, if any. */
class PooledProcess {
  readonly child: ChildProcessWithoutNullStreams;
  listener: Listener | undefined;
  gone = false;

  constructor(script: string, onGone: (process: PooledProcess) => void) {
    this.child = spawn(process.execPath, [script], { cwd: projectRoot });
    let buffered = '';
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        this.listener?.line(line);
      }
    });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => this.listener?.stderr(chunk));
    this.child.on('close', (code, signal) => {
      this.gone = true;
      onGone(this);
      this.listener?.exit(code ?? signal ?? 'unknown');
    });
  }
}

/** Worker processes kept between jobs; `close()` ends them. */
export class WorkerPool {
  readonly #script: string;
  readonly #idle: PooledProcess[] = [];
  readonly #all = new Set<PooledProcess>();

  constructor(script: string) {
    this.#script = script;
  }

  /** Starts `count` processes ahead of the first jobs, so that they load while the test prepares its store. */
  warm(count: number): void {
    while (this.#idle.length < count) this.#idle.push(this.#start());
  }

  /** Runs `job` on an idle process, or on a new one when none is idle. */
  run(job: WorkerJob): PooledJob {
    const worker = this.#idle.pop() ?? this.#start();
    let errors = '';
    let ended = false;
    let settle: (code: number | string) => void = () => undefined;
    const exited = new Promise<number | string>((resolve) => {
      settle = (code) => {
        if (ended) return;
        ended = true;
        worker.listener = undefined;
        resolve(code);
      };
    });
    const printed = new PrintedLines(exited, (code) => `worker job ended (${code}) before the expected line; stderr: ${errors}`);
    worker.listener = {
      line: (line) => {
        if (line === JOB_END) {
          settle(0);
          if (!worker.gone) this.#idle.push(worker);
          return;
        }
        printed.push(line);
      },
      stderr: (text) => {
        errors += text;
      },
      exit: (code) => settle(code),
    };
    worker.child.stdin.write(`${JSON.stringify(job)}\n`);
    return {
      child: worker.child,
      exited,
      stderr: () => errors,
      stdout: () => printed.lines,
      line: (match) => printed.line(match),
      stop: async () => {
        if (!ended) worker.child.kill('SIGKILL');
        await exited;
      },
    };
  }

  /** Ends every process: idle ones when their stdin closes, any other at once. */
  async close(): Promise<void> {
    const closing = [...this.#all].map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.gone) resolve();
          else worker.child.once('close', () => resolve());
        }),
    );
    for (const worker of this.#all) {
      if (this.#idle.includes(worker)) worker.child.stdin.end();
      else worker.child.kill('SIGKILL');
    }
    this.#idle.length = 0;
    await Promise.all(closing);
  }

  #start(): PooledProcess {
    const worker = new PooledProcess(this.#script, (gone) => {
      this.#all.delete(gone);
      const at = this.#idle.indexOf(gone);
      if (at >= 0) this.#idle.splice(at, 1);
    });
    this.#all.add(worker);
    return worker;
  }
}
