/** `agent-team run --ui`: a read-only dashboard of the run on 127.0.0.1 while it runs, gone when it ends. */
import { afterEach, describe, expect, it } from 'vitest';
import { startCommand } from '../support/cli-in-process.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

let project: TempProject | undefined;

afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe('run --ui', () => {
  it('prints a loopback address serving the live run read-only, and stops serving when the run ends', async () => {
    project = await tempProject('agent-team-run-ui-');
    await project.write('elsewhere/pilot/results.csv', 'design,seed,repetition,status,costUsd\nbase,1,1,done,0.01\n');
    // Sim latencies at 5% of real time: the run lasts a few seconds, long enough to be looked at.
    const command = startCommand(
      ['run', '--feature', 'Invoice <b>PDF</b> export', '--time-scale', '0.05', '--ui', '--experiments', 'elsewhere'],
      { cwd: project.dir },
    );
    const printed = /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/ui) /;
    await command.waitForOutput(printed);
    const address = printed.exec(command.stdout())?.[1] as string;
    const list = await fetch(address);
    expect(list.status).toBe(200);
    expect(list.headers.get('content-security-policy')).toContain("default-src 'none'");
    // The run's page, once the run has a plan: its graph, its board, no form to answer blockers (read-only).
    let runPage = '';
    while (!runPage.includes('class="task')) {
      const listed = await (await fetch(address)).text();
      const id = /href="\/ui\/runs\/([^"]+)"/.exec(listed)?.[1];
      if (id !== undefined) runPage = await (await fetch(`${address}/runs/${id}`)).text();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(runPage).toContain('Invoice &lt;b&gt;PDF&lt;/b&gt; export');
    expect(runPage).toContain('read-only');
    expect((await fetch(new URL('/orchestrate', address), { method: 'POST' })).status).toBe(404);
    // The experiments of --experiments DIR beside the run.
    expect(await (await fetch(`${address}/experiments`)).text()).toContain('data-experiment-id="pilot"');
    expect((await fetch(`${address}/experiments/pilot`)).status).toBe(200);
    const { code } = await command.done;
    expect(code).toBe(0);
    await expect(fetch(address)).rejects.toThrow();
  });
});
