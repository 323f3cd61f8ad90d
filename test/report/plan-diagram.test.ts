/** The plan's SVG for a plan too large for dagre's layout: every task and dependency drawn, in columns by depth. */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { svgDiagram } from '../../src/report/plan-diagram.js';
import { createTeamProject, runningState, type TeamProject } from '../state/conformance/team-setup.js';

let project: TeamProject;

beforeAll(async () => {
  project = await createTeamProject({ developers: ['dev-1'] });
});

afterAll(async () => {
  await project?.remove();
});

describe('svgDiagram of a large plan', () => {
  it('draws 1,500 tasks and their dependencies, each arrow from its dependency to a task in a column further right', () => {
    const state = runningState({ config: project.config, tasks: 1500 });
    // Chains of three, and every tenth task waiting for two others.
    for (const [index, task] of state.tasks.entries()) {
      if (index % 3 !== 0) task.dependsOn = [`T${index}`];
      if (index % 10 === 9) task.dependsOn = [...task.dependsOn, `T${index - 4}`];
    }
    const svg = svgDiagram(state);
    expect(XMLValidator.validate(svg)).toBe(true);
    const document = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(svg) as {
      svg: {
        width: string;
        height: string;
        g: { 'data-task-id': string; rect: { x: string; y: string } }[];
        path: { 'data-from': string; 'data-to': string; d: string }[];
      };
    };
    const width = Number(document.svg.width);
    const height = Number(document.svg.height);
    const boxes = new Map(document.svg.g.map((group) => [group['data-task-id'], { x: Number(group.rect.x), y: Number(group.rect.y) }]));
    expect(boxes.size).toBe(1500);
    for (const box of boxes.values()) {
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + 200).toBeLessThanOrEqual(width);
      expect(box.y + 52).toBeLessThanOrEqual(height);
    }
    const expectedArrows = state.tasks.reduce((sum, task) => sum + task.dependsOn.length, 0);
    expect(document.svg.path).toHaveLength(expectedArrows);
    for (const arrow of document.svg.path) {
      const from = boxes.get(arrow['data-from']);
      const to = boxes.get(arrow['data-to']);
      if (from === undefined || to === undefined) throw new Error(`an arrow between unknown tasks: ${JSON.stringify(arrow)}`);
      expect(to.x, `${arrow['data-from']} → ${arrow['data-to']}`).toBeGreaterThan(from.x);
      // From the dependency's right side to the task's left side.
      expect(arrow.d).toBe(`M ${(from.x + 200).toFixed(1)} ${(from.y + 26).toFixed(1)} L ${to.x.toFixed(1)} ${(to.y + 26).toFixed(1)}`);
    }
  });
});
