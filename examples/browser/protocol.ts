/** The messages between the page (main.ts) and its training worker (train-worker.ts). */
import type { PhaseChange } from '../../src/data/index';
import type { MathGraphJSON } from '../../src/graph/index';

export type Status = 'idle' | 'starting' | 'training' | 'paused' | 'done' | 'error';

/** page → worker */
export type Command =
  | { type: 'train'; config: Record<string, unknown> }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'predict'; text: string; bindings: Record<string, number>; config: Record<string, unknown> }
  | { type: 'checkpoint' }
  | { type: 'upload'; name: string; bytes: Uint8Array };

/** what the page shows of the worker's trainer */
export interface Session {
  backend: string;
  /** threads computing each update (the training worker and its replicas) */
  workers: number;
  step: number;
  steps: number;
  levels: string[];
}

/** worker → page */
export type Report =
  | { type: 'status'; status: Status; message: string; session: Session | null; fresh: boolean }
  | { type: 'steps'; steps: number[]; losses: number[]; lrs: number[]; rate: number; level: number }
  | { type: 'eval'; step: number; accuracy: number; perLevel: Record<string, number> }
  | { type: 'level'; change: PhaseChange }
  | { type: 'prediction'; input: string; output: MathGraphJSON; outputText: string; step: number }
  | { type: 'prediction-error'; message: string }
  | { type: 'checkpoint'; step: number; bytes: Uint8Array };
