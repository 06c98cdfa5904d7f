// Live view of one Y.Array of outputs. Each output keeps its element until that output changes,
// so a streaming append re-renders one block and a widget view is not rebuilt under the user's
// cursor when a later output arrives. A result gets its `Out[n]:` prompt, and the server's
// truncation notice is placed first, so a cut-off output says so before its first line.
import * as Y from 'yjs';
import type { YOutput } from '../../shared/schema.ts';
import type { Output } from '../../shared/nbformat.ts';
import { outputFromYMap } from '../../shared/schema.ts';
import { h, placeChildren } from '../dom.ts';
import { releaseWidgets, renderOutput, type WidgetRenderer } from './renderOutput.ts';

export interface OutputView {
  readonly element: HTMLElement;
  dispose(): void;
}

function owningOutput(target: Y.AbstractType<unknown>, outputs: Y.Array<YOutput>): YOutput | undefined {
  let node: Y.AbstractType<unknown> | null = target;
  while (node && node.parent !== outputs) node = node.parent as Y.AbstractType<unknown> | null;
  return node instanceof Y.Map ? (node as YOutput) : undefined;
}

function rendered(output: Output, renderWidget: WidgetRenderer | undefined): HTMLElement {
  const node = renderOutput(output, renderWidget);
  if (output.output_type === 'execute_result' && typeof output.execution_count === 'number') {
    node.prepend(h('span', { class: 'out-prompt' }, `Out[${output.execution_count}]:`));
  }
  return node;
}

export function outputArea(outputs: Y.Array<YOutput>, renderWidget: WidgetRenderer | undefined): OutputView {
  const element = document.createElement('div');
  element.className = 'outputs';
  let shownNodes = new Map<YOutput, HTMLElement>();

  const reconcile = (dirty: Set<YOutput>) => {
    const next = new Map<YOutput, HTMLElement>();
    const children: HTMLElement[] = [];
    const notices: HTMLElement[] = [];
    for (const ymap of outputs) {
      let node = dirty.has(ymap) ? undefined : shownNodes.get(ymap);
      if (!node) node = rendered(outputFromYMap(ymap), renderWidget);
      next.set(ymap, node);
      // renderOutput marks the server's truncation notice with this class.
      (node.classList.contains('truncation-marker') ? notices : children).push(node);
    }
    children.unshift(...notices);
    for (const [ymap, node] of shownNodes) if (next.get(ymap) !== node) releaseWidgets(node);
    shownNodes = next;
    placeChildren(element, children);
    element.classList.toggle('empty', children.length === 0);
  };

  const observer = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
    const dirty = new Set<YOutput>();
    for (const event of events) {
      if (event.target === outputs) continue;
      const owner = owningOutput(event.target, outputs);
      if (owner) dirty.add(owner);
    }
    reconcile(dirty);
  };
  outputs.observeDeep(observer);
  reconcile(new Set());
  return {
    element,
    dispose() {
      outputs.unobserveDeep(observer);
      releaseWidgets(element);
    },
  };
}
