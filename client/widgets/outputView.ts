// The Output widget's view. @jupyter-widgets/output ships only the model and an empty view (each
// front end renders outputs its own way); this one renders the `outputs` trait — where the server
// puts what a `with out:` block or an interact callback displayed — with the page's renderers.
import { OutputView } from '@jupyter-widgets/output';
import type { Output } from '../../shared/nbformat.ts';
import { releaseWidgets } from '../outputs/renderOutput.ts';

/** Implemented by the manager: renders one output, nested widget views included. */
export interface OutputRenderer {
  renderOutput(output: Output): HTMLElement;
}

function hasOutputRenderer(manager: unknown): manager is OutputRenderer {
  return typeof (manager as Partial<OutputRenderer> | null)?.renderOutput === 'function';
}

export class CohortOutputView extends OutputView {
  override render(): void {
    super.render();
    this.el.classList.add('jupyter-widgets-output-area', 'widget-output');
    this.listenTo(this.model, 'change:outputs', () => this.renderOutputs());
    this.renderOutputs();
  }

  private renderOutputs(): void {
    const outputs = (this.model.get('outputs') as Output[] | undefined) ?? [];
    const manager = this.model.widget_manager;
    if (!hasOutputRenderer(manager)) {
      this.el.textContent = 'Output widget needs the Cohort widget manager';
      return;
    }
    releaseWidgets(this.el);
    this.el.replaceChildren(...outputs.map((output) => manager.renderOutput(output)));
  }

  override remove(): this {
    releaseWidgets(this.el);
    return super.remove() as this;
  }
}
