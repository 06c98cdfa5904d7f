// nbformat 4 JSON shapes (https://github.com/jupyter/nbformat, schema v4.5), as they appear on disk
// and in Jupyter messages. Field names stay snake_case, as on the wire.

export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };
export type JSONObject = { [key: string]: JSONValue };

/** A multiline string: nbformat allows a string or a list of lines. */
export type MultilineString = string | string[];

export interface StreamOutput {
  output_type: 'stream';
  name: 'stdout' | 'stderr';
  text: MultilineString;
}
export interface DisplayDataOutput {
  output_type: 'display_data';
  data: Record<string, JSONValue>;
  metadata: JSONObject;
  /** Not part of nbformat: kept in documents so update_display_data can find it; dropped on export. */
  transient?: { display_id?: string };
}
export interface ExecuteResultOutput {
  output_type: 'execute_result';
  execution_count: number | null;
  data: Record<string, JSONValue>;
  metadata: JSONObject;
  transient?: { display_id?: string };
}
export interface ErrorOutput {
  output_type: 'error';
  ename: string;
  evalue: string;
  traceback: string[];
}
export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

export type CellType = 'code' | 'markdown' | 'raw';

interface CellBase {
  id?: string;
  source: MultilineString;
  metadata: JSONObject;
}
export interface CodeCell extends CellBase {
  cell_type: 'code';
  execution_count: number | null;
  outputs: Output[];
}
export interface MarkdownCell extends CellBase {
  cell_type: 'markdown';
  attachments?: JSONObject;
}
export interface RawCell extends CellBase {
  cell_type: 'raw';
  attachments?: JSONObject;
}
export type Cell = CodeCell | MarkdownCell | RawCell;

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: JSONObject;
  cells: Cell[];
}

export function joinMultiline(text: MultilineString | undefined): string {
  if (text === undefined) return '';
  return Array.isArray(text) ? text.join('') : text;
}
