// The lane's tests module: index.ts's tests first (they activate the extension), then each feature's own file.
// Kept as separate files so that branches adding tests do not edit the same lines.
import './index';
import './kpiPanel.test';
import './runPanel.test';
import './reportPanel.test';
import './compareRuns.test';
import './runsTree.test';
import './replayConfirm.test';
import './recordingEditor.test';
import './paletteCommands.test';
import './runsTreeScale.test';
import './pushRuns.test';
import './campaignPalette.test';

export { run } from './index';
