/**
 * @module linearizability/model
 * The contract a sequential specification implements for the checker (after Porcupine).
 */

/**
 * One client operation as observed from outside the system. `output` and `returnTime` are
 * `undefined` for an indeterminate operation (called, never answered: it may or may not have
 * taken effect); the checker treats it as returning at +infinity.
 */
export interface Operation<Input, Output> {
  readonly clientId: number | string;
  readonly input: Input;
  readonly callTime: number;
  readonly output?: Output | undefined;
  readonly returnTime?: number | undefined;
}

export interface StepResult<State> {
  readonly ok: boolean;
  readonly state: State;
}

export interface Model<State, Input, Output> {
  init(): State;
  /**
   * Apply `input` to `state`. `ok` says whether `output` is what the specification allows;
   * `output` is undefined for an indeterminate operation, which any result satisfies.
   * Must not mutate `state`.
   */
  step(state: State, input: Input, output: Output | undefined): StepResult<State>;
  /** A string that is equal for equal states (used as the memoization key). */
  hash(state: State): string;
  /** Exact equality, for models whose hash may collide; defaults to hash equality. */
  equal?(a: State, b: State): boolean;
  /**
   * Split a history into independent sub-histories (P-compositionality); the whole history is
   * linearizable iff every part is.
   */
  partition?(ops: readonly Operation<Input, Output>[]): Operation<Input, Output>[][];
  /**
   * True for inputs that never change the state (reads). Indeterminate read-only operations
   * constrain nothing, so the checker drops them before searching.
   */
  readOnly?(input: Input): boolean;
  /** Names a partition in explanations (e.g. its key). */
  describePartition?(ops: readonly Operation<Input, Output>[]): string;
  /** Human-readable operation, for explanations. */
  describe?(input: Input, output: Output | undefined): string;
  describeState?(state: State): string;
}
