/**
 * The compose stack as a test fixture (CXR_PROFILE=compose): a private project of docker-compose.yml per chaos test
 * (own name, own published ports on 127.0.0.1, own volumes, removed at teardown), and the container engine as the
 * fault injector: `docker kill` (SIGKILL of the container's processes, no restart by the engine: a killed container
 * counts as stopped by hand) and `docker network disconnect`. The images are the ones `CXR_PROFILE=compose
 * scripts/services start` built (scripts/test runs it); a private project never builds.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';

export const COMPOSE = process.env.CXR_PROFILE === 'compose';

/** Secrets and certificates scripts/docker/init made (shared by every project of this checkout). */
export const COMPOSE_DIR = path.resolve(process.env.CXR_COMPOSE_DIR ?? path.join(PROJECT_ROOT, '.data', 'compose'));

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let composeArgv: string[] | undefined;
/** `docker compose` (v2 plugin) where it answers, else docker-compose 1.29. */
function composeBase(): string[] {
  if (!composeArgv) {
    try {
      execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
      composeArgv = ['docker', 'compose'];
    } catch {
      composeArgv = ['docker-compose'];
    }
  }
  return composeArgv;
}

export function docker(args: string[], opts: { allowFail?: boolean; timeoutMs?: number } = {}): string {
  try {
    return execFileSync('docker', args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: opts.timeoutMs,
    });
  } catch (err) {
    if (opts.allowFail) return '';
    const e = err as { stderr?: string; message: string };
    throw new Error(`docker ${args.join(' ')}: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

export interface ContainerState {
  running: boolean;
  status: string;
  pid: number;
  health: string;
  restartCount: number;
}

export class ComposeProject {
  constructor(
    readonly name: string,
    /** Variables docker-compose.yml reads (ports, CXR_INBOX, CXR_TASK_QUEUE, ...), on top of this process's. */
    readonly vars: NodeJS.ProcessEnv,
  ) {}

  compose(args: string[], timeoutMs = 10 * 60_000): string {
    const [cmd, ...base] = composeBase();
    try {
      return execFileSync(
        cmd,
        [
          ...base,
          '--project-directory',
          PROJECT_ROOT,
          '-f',
          path.join(PROJECT_ROOT, 'docker-compose.yml'),
          '-p',
          this.name,
          ...args,
        ],
        {
          encoding: 'utf8',
          env: { ...process.env, ...this.vars },
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: timeoutMs,
        },
      );
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`compose ${args.join(' ')}: ${e.stderr?.trim().slice(-3000) || e.message}`, { cause: err });
    }
  }

  /** A compose command that may fail: exit code, stdout and stderr (e.g. `exec -T worker-io node dist/src/client.js ...`). */
  run(args: string[], timeoutMs = 10 * 60_000): { code: number | null; stdout: string; stderr: string } {
    const [cmd, ...base] = composeBase();
    const r = spawnSync(
      cmd,
      [
        ...base,
        '--project-directory',
        PROJECT_ROOT,
        '-f',
        path.join(PROJECT_ROOT, 'docker-compose.yml'),
        '-p',
        this.name,
        ...args,
      ],
      { encoding: 'utf8', env: { ...process.env, ...this.vars }, timeout: timeoutMs },
    );
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** The container of a service (one replica). */
  container(service: string): string {
    const id = this.compose(['ps', '-a', '-q', service]).trim().split('\n')[0];
    if (!id) throw new Error(`${this.name}: no container for ${service}`);
    return id;
  }

  state(service: string): ContainerState {
    const out = docker([
      'inspect',
      '-f',
      '{{.State.Running}} {{.State.Status}} {{.State.Pid}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.RestartCount}}',
      this.container(service),
    ]).trim();
    const [running, status, pid, health, restarts] = out.split(' ');
    return { running: running === 'true', status, pid: Number(pid), health, restartCount: Number(restarts) };
  }

  /** `up -d` without building, then wait until healthy (one-shot jobs exited 0). */
  async up(timeoutMs = 10 * 60_000): Promise<void> {
    this.compose(['up', '-d', '--no-build'], timeoutMs);
    await this.waitHealthy(undefined, timeoutMs);
  }

  /** Every container of the project (or the named services) healthy / running; temporal-init exited 0. */
  async waitHealthy(services?: string[], timeoutMs = 10 * 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ids = this.compose(['ps', '-a', '-q', ...(services ?? [])])
        .trim()
        .split('\n')
        .filter(Boolean);
      const bad: string[] = [];
      for (const id of ids) {
        const [svc, status, code, health] = docker([
          'inspect',
          '-f',
          '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}',
          id,
        ])
          .trim()
          .split(' ');
        if (status === 'running' && (health === 'healthy' || health === 'none')) continue;
        if (status === 'exited' && svc === 'temporal-init' && code === '0') continue;
        if (status === 'exited' && svc === 'temporal-init')
          throw new Error(`${this.name}: temporal-init exited ${code}`);
        bad.push(`${svc}(${status}/${health})`);
      }
      if (ids.length > 0 && bad.length === 0) return;
      if (Date.now() > deadline) throw new Error(`${this.name}: not healthy in ${timeoutMs} ms: ${bad.join(' ')}`);
      await sleep(500);
    }
  }

  /** `docker start` the service's container and wait until it is healthy. */
  async start(service: string, timeoutMs = 3 * 60_000): Promise<void> {
    docker(['start', this.container(service)]);
    await this.waitHealthy([service], timeoutMs);
  }

  /** The same, blocking (as `scripts/services start` is for the native services). */
  startSync(service: string, timeoutMs = 3 * 60_000): void {
    docker(['start', this.container(service)]);
    const deadline = Date.now() + timeoutMs;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      const st = this.state(service);
      if (st.running && (st.health === 'healthy' || st.health === 'none')) return;
      if (Date.now() > deadline) throw new Error(`${this.name}: ${service} not healthy ${timeoutMs} ms after start`);
      Atomics.wait(pause, 0, 0, 300);
    }
  }

  /** `docker kill` (SIGKILL): returns the container's main pid and waits until the engine reports it stopped. */
  async kill(service: string): Promise<number> {
    const { pid, running } = this.state(service);
    if (!running) throw new Error(`${this.name}: ${service} is not running: nothing to kill`);
    docker(['kill', this.container(service)]);
    for (let i = 0; i < 100 && this.state(service).running; i++) await sleep(100);
    return pid;
  }

  /** The project's network `net` (e.g. app), as the engine names it. */
  network(net: string): string {
    return `${this.name}_${net}`;
  }

  /** Cut a service off a network (its DNS name disappears there and its connections break). */
  disconnect(service: string, net: string): void {
    docker(['network', 'disconnect', this.network(net), this.container(service)]);
  }

  /** Connect it again under its service name (compose's alias), so the others find it as before. */
  reconnect(service: string, net: string): void {
    docker(['network', 'connect', '--alias', service, this.network(net), this.container(service)]);
  }

  /** `docker exec` in the service's container; resolves to its exit code and output. */
  exec(service: string, argv: string[], timeoutMs = 30_000): { code: number; out: string } {
    try {
      return { code: 0, out: docker(['exec', this.container(service), ...argv], { timeoutMs }) };
    } catch (err) {
      return { code: 1, out: (err as Error).message };
    }
  }

  /** Logs of the whole project (kept in the test's data folder when it failed). */
  saveLogs(file: string): void {
    try {
      fs.writeFileSync(file, this.compose(['logs', '--no-color', '--timestamps'], 60_000));
    } catch (err) {
      fs.writeFileSync(file, String(err));
    }
  }

  /** Containers, networks and volumes of the project: gone. */
  down(): void {
    this.compose(['down', '-v', '--remove-orphans', '-t', '5'], 3 * 60_000);
  }
}

/** The worker services of the stack, as one restartable thing the chaos tests kill (both roles at once). */
export class ComposeWorkers {
  private expectingStop = false;
  private restartsAtStart = 0;

  constructor(
    private readonly project: ComposeProject,
    readonly services: string[] = ['worker-io', 'worker-inference'],
  ) {
    this.restartsAtStart = services.reduce((n, s) => n + project.state(s).restartCount, 0);
  }

  get pid(): number | undefined {
    return this.project.state(this.services[0]).pid || undefined;
  }

  get running(): boolean {
    return this.services.every((s) => this.project.state(s).running);
  }

  /** Exits nobody asked for: engine restarts of a crashed worker, or a worker found stopped. */
  get unexpectedExits(): number {
    const restarts = this.services.reduce((n, s) => n + this.project.state(s).restartCount, 0);
    const stopped = this.expectingStop ? 0 : this.services.filter((s) => !this.project.state(s).running).length;
    return restarts - this.restartsAtStart + stopped;
  }

  /** Start both containers and wait for each worker's banner ("polling") after this start. */
  async start(timeoutMs = 120_000): Promise<void> {
    const since = new Date(Date.now() - 1000).toISOString();
    for (const s of this.services) if (!this.project.state(s).running) docker(['start', this.project.container(s)]);
    this.expectingStop = false;
    const deadline = Date.now() + timeoutMs;
    for (const s of this.services) {
      for (;;) {
        const logs = docker(['logs', '--since', since, this.project.container(s)], { allowFail: true });
        if (/polling/.test(logs)) break;
        if (Date.now() > deadline) throw new Error(`${s} did not start in ${timeoutMs} ms`);
        await sleep(300);
      }
    }
  }

  /** docker kill of both worker containers. */
  async kill(): Promise<void> {
    this.expectingStop = true;
    for (const s of this.services) if (this.project.state(s).running) await this.project.kill(s);
  }
}
