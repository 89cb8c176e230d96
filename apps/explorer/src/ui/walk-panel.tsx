/** One walk, level by level: the table the walk view and the page-table drill-down both show. */
import type { JSX } from 'preact';
import { hex } from '@vcm/core';
import { walkLines, walkOutcome } from '../model/walk.js';
import type { WalkView } from '../model/walk.js';

export function WalkTable({ walk, long }: { walk: WalkView; long: boolean }): JSX.Element {
  return (
    <div class="walk" data-testid="walk-result" data-va={walk.va} data-pa={walk.pa ?? ''} data-fault={walk.fault?.fault ?? ''}>
      <p class="outcome" data-testid="walk-outcome">
        {walkOutcome(walk)}
      </p>
      <table>
        <thead>
          <tr>
            <th>level</th>
            <th>entry PA</th>
            <th>descriptor</th>
            <th>meaning</th>
          </tr>
        </thead>
        <tbody>
          {walkLines(walk, long).map((l, i) => (
            <tr key={i} data-testid="walk-level" data-level={l.level} data-entry-pa={l.entryPa}>
              <td>{l.level}</td>
              <td>
                <code>{hex(l.entryPa)}</code>
              </td>
              <td>
                <code>{l.descriptor}</code>
              </td>
              <td>{l.meaning}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
