// Live view of one Y.Array of outputs. Each output keeps its element until that output changes,
// so a streaming append re-renders one block and a widget view is not rebuilt under the user's
// cursor when a later output arrives.
import * as Y from 'yjs';
import type { YOutput } from '../../shared/schema.ts';
import { outputFromYMap } from '../../shared/schema.ts';
import { placeChildren } from '../dom.ts';
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

export function outputArea(outputs: Y.Array<YOutput>, renderWidget: WidgetRenderer | undefined): OutputView {
  const element = document.createElement('div');
  element.className = 'outputs';
  let rendered = new Map<YOutput, HTMLElement>();

  const reconcile = (dirty: Set<YOutput>) => {
    const next = new Map<YOutput, HTMLElement>();
    const children: HTMLElement[] = [];
    for (const ymap of outputs) {
      let node = dirty.has(ymap) ? undefined : rendered.get(ymap);
      if (!node) node = renderOutput(outputFromYMap(ymap), renderWidget);
      next.set(ymap, node);
      children.push(node);
    }
    for (const [ymap, node] of rendered) if (next.get(ymap) !== node) releaseWidgets(node);
    rendered = next;
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
