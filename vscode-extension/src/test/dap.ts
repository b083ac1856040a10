// A minimal DAP client over a child process's stdio (Content-Length framing),
// enough to drive one session of the packaged adapter.
import { ChildProcess, spawn } from 'child_process';

export interface Message {
  seq: number;
  type: string;
  command?: string;
  event?: string;
  request_seq?: number;
  success?: boolean;
  message?: string;
  body?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export class DapClient {
  private readonly proc: ChildProcess;
  private buf = Buffer.alloc(0);
  private seq = 1;
  private readonly pending = new Map<number, (m: Message) => void>();
  private readonly waiters: { pred: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  readonly events: Message[] = [];
  stderr = '';

  constructor(command: string, args: string[] = []) {
    this.proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d: Buffer) => this.feed(d));
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  private feed(data: Buffer): void {
    this.buf = Buffer.concat([this.buf, data]);
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const m = /Content-Length: (\d+)/i.exec(this.buf.subarray(0, end).toString());
      if (!m) throw new Error(`bad header: ${this.buf.subarray(0, end)}`);
      const len = Number(m[1]);
      if (this.buf.length < end + 4 + len) return;
      const msg = JSON.parse(this.buf.subarray(end + 4, end + 4 + len).toString()) as Message;
      this.buf = this.buf.subarray(end + 4 + len);
      this.dispatch(msg);
    }
  }

  private dispatch(msg: Message): void {
    if (msg.type === 'response') {
      this.pending.get(msg.request_seq!)?.(msg);
      this.pending.delete(msg.request_seq!);
      return;
    }
    if (msg.type === 'event') this.events.push(msg);
    const i = this.waiters.findIndex((w) => w.pred(msg));
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(msg);
  }

  request(command: string, args?: object): Promise<Message> {
    const seq = this.seq++;
    const text = JSON.stringify({ seq, type: 'request', command, arguments: args });
    this.proc.stdin!.write(`Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
    return new Promise((resolve) => this.pending.set(seq, resolve));
  }

  /** The next event named `name` (or one already received and not taken). */
  event(name: string, timeoutMs = 30000): Promise<Message> {
    const seen = this.events.findIndex((e) => e.event === name && !taken.has(e));
    if (seen >= 0) {
      taken.add(this.events[seen]);
      return Promise.resolve(this.events[seen]);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${name}' event in ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({
        pred: (m) => m.event === name,
        resolve: (m) => {
          clearTimeout(timer);
          taken.add(m);
          resolve(m);
        },
      });
    });
  }

  output(category?: string): string {
    return this.events
      .filter((e) => e.event === 'output' && (category === undefined || e.body.category === category))
      .map((e) => e.body.output)
      .join('');
  }

  close(): Promise<number | null> {
    this.proc.stdin!.end();
    return new Promise((resolve) => {
      if (this.proc.exitCode !== null) resolve(this.proc.exitCode);
      else this.proc.on('exit', (code) => resolve(code));
    });
  }
}
const taken = new WeakSet<Message>();
