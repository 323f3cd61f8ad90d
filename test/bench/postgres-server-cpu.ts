/**
 * The CPU time a throwaway PostgreSQL server (test/support/postgres.ts) has used: its postmaster's,
 * its live backends' and that of the backends already gone (the postmaster's reaped children), read
 * from /proc. Undefined where there is no /proc (the benchmark prints the figure only on Linux).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces), from field 3 on. */
function statFields(pid: string): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Milliseconds of CPU (user + system) used so far by the server whose data directory is `dataDirectory`. */
export function serverCpuMs(dataDirectory: string): number | undefined {
  const pidFile = join(dataDirectory, 'postmaster.pid');
  if (!existsSync('/proc') || !existsSync(pidFile)) return undefined;
  const postmaster = readFileSync(pidFile, 'utf8').split('\n')[0]?.trim() ?? '';
  const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const fields = statFields(pid);
    // Field 4 (ppid) is fields[1]; utime, stime, cutime, cstime are fields 14–17.
    if (fields === undefined || (pid !== postmaster && fields[1] !== postmaster)) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
    if (pid === postmaster) ticks += Number(fields[13]) + Number(fields[14]);
  }
  return (ticks * 1000) / ticksPerSecond;
}
