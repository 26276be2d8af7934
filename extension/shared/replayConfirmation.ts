import type { Recording } from './recording';

// What FastBench says before a replay drives a window: which window, how long, how to stop it. Plain data, so the
// host shows it as a quick pick (keyboard-first; Escape cancels) and tests can check the words.

export type ReplayChoice = 'replay' | 'replayAndStopAsking' | 'cancel';

export function replayConfirmation(
  recording: Recording,
  fileName: string,
): { title: string; placeHolder: string; items: { label: string; detail?: string; choice: ReplayChoice }[] } {
  const target = recording.target as { processImage?: string; titlePattern?: string };
  const window = [target.titlePattern ? `/${target.titlePattern}/` : '', target.processImage ? `(${target.processImage})` : ''].filter(Boolean).join(' ') || 'the recorded window';
  const last = recording.events.at(-1)?.t_ms ?? 0;
  const seconds = last < 10_000 ? (last / 1000).toFixed(1) : Math.round(last / 1000).toString();
  return {
    title: `FastBench: replay ${fileName} into ${window}?`,
    // The placeholder is never cut off: the way out comes first.
    placeHolder: 'To abort a running replay: press Esc, or push the pointer into the top-left corner of the screen',
    items: [
      {
        label: `$(play) Replay now: ${recording.events.length} events, ${seconds} s`,
        detail: 'FastBench moves the mouse and types in that window: hands off mouse and keyboard until it ends.',
        choice: 'replay',
      },
      { label: '$(play) Replay, and do not ask again', detail: 'Turn the question back on with the setting fastbench.replay.confirm.', choice: 'replayAndStopAsking' },
      { label: 'Cancel', choice: 'cancel' },
    ],
  };
}
