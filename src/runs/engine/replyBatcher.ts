/**
 * Gathers reply text for a short while before handing it on, so that a model streaming one
 * token at a time does not cost one cross-process signal per token.
 */
export class ReplyBatcher {
  private buffer = '';
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly send: (text: string) => void,
    private readonly delayMs = 25,
  ) {}

  push(text: string): void {
    if (text === '') return;
    this.buffer += text;
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.buffer === '') return;
    const text = this.buffer;
    this.buffer = '';
    this.send(text);
  }
}
