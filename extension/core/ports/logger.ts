// The Logger port is defined in shared/ because the stand-in, a separate program that may import only
// shared/, takes one too; the core keeps importing it from its ports folder.
export { silentLogger, type Logger } from '../../shared/logger';
