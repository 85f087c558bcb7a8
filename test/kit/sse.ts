// A Server-Sent Events reader shared by the tests: reads a response body in the background and
// hands over each frame (and each comment line, such as heartbeats) as it arrives.

export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
}

export interface SseHandlers {
  frame(frame: SseFrame): void;
  /** Comment lines (starting with ':'), e.g. heartbeats. */
  comment?(line: string): void;
}

/**
 * Reads `body` until the server ends it, the test aborts it or the connection is cut. Never
 * rejects: the returned promise settles once reading has stopped.
 */
export async function readSseFrames(body: ReadableStream<Uint8Array>, handlers: SseHandlers): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const frame: SseFrame = {};
        let isFrame = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) {
            handlers.comment?.(line);
            continue;
          }
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id' || field === 'event' || field === 'data' || field === 'retry') {
            frame[field] = field === 'data' && frame.data !== undefined ? `${frame.data}\n${value}` : value;
            isFrame = true;
          }
        }
        if (isFrame) handlers.frame(frame);
      }
    }
  } catch {
    // aborted by the test, or the connection was cut
  }
}
