// peers as long-lived child processes speaking JSON lines on stdin/stdout: one request, one reply.
// requests: {op: 'hello'} | {op: 'start', key, task, cfg, seconds} | {op: 'rep', key} | {op: 'finish', key}
// replies: {ok: true, ...} or {ok: false, error}; a peer that cannot start is reported, not fatal
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export class PeerProcess {
  constructor(label, cmd, args, opts = {}) {
    this.label = label;
    this.cmd = cmd;
    this.args = args;
    this.opts = opts;
    this.child = null;
    this.pending = null;
    this.stderr = '';
    this.dead = null;
    this.seq = 0;
  }

  // spawns the process and asks for its versions; returns the hello reply or throws with the reason
  async open(timeoutMs = 120000) {
    this.child = spawn(this.cmd, this.args, { stdio: ['pipe', 'pipe', 'pipe'], ...this.opts });
    this.child.on('error', (e) => this.fail(`cannot start ${this.cmd}: ${e.message}`));
    this.child.on('exit', (code, sig) => this.fail(`exited (${sig ?? code}): ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`));
    this.child.stderr.on('data', (d) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const p = this.pending;
      this.pending = null;
      if (p === null) return;
      clearTimeout(p.timer);
      try {
        p.resolve(JSON.parse(line));
      } catch (e) {
        p.reject(new Error(`bad reply: ${line.slice(0, 200)}`));
      }
    });
    return this.request({ op: 'hello' }, timeoutMs);
  }

  fail(why) {
    this.dead = why;
    const p = this.pending;
    this.pending = null;
    if (p !== null) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
    }
  }

  request(msg, timeoutMs = 600000) {
    if (this.dead !== null) return Promise.reject(new Error(this.dead));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(`no reply to ${msg.op} within ${timeoutMs / 1000} s`), timeoutMs);
      this.pending = {
        timer,
        resolve: (r) => (r.ok ? resolve(r) : reject(new Error(r.error ?? 'failed'))),
        reject,
      };
      this.child.stdin.write(`${JSON.stringify(msg)}\n`);
    });
  }

  async close() {
    if (this.child === null || this.dead !== null) return;
    this.child.stdin.end();
    await new Promise((r) => {
      const t = setTimeout(() => {
        this.child.kill();
        r();
      }, 5000);
      this.child.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
  }
}

// one configuration (threads, implementation) of a peer process, with the ffnn contender's interface
export class PeerContender {
  constructor(proc, name, family, cfg, tasksFilter) {
    this.proc = proc;
    this.name = name;
    this.family = family;
    this.cfg = cfg;
    this.tasksFilter = tasksFilter;
    this.key = null;
  }

  skipWhy(task) {
    return this.tasksFilter(task);
  }

  async start(task, seconds) {
    this.key = `${this.name}/${task.id}`;
    const r = await this.proc.request({ op: 'start', key: this.key, task, cfg: this.cfg, seconds });
    return { note: r.note ?? '' };
  }

  async rep() {
    return (await this.proc.request({ op: 'rep', key: this.key })).value;
  }

  async finish() {
    const r = await this.proc.request({ op: 'finish', key: this.key });
    delete r.ok;
    return r;
  }
}
