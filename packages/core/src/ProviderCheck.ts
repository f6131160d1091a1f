/**
 * The outcome of a provider's `doctor` check: one read-only call that proves the key, the endpoint and
 * the connectivity. Providers fill it in; the CLI prints it and exits with `exitCode`.
 *
 * @since 0.2.0
 */

/**
 * @since 0.2.0
 * @category models
 */
export interface Report {
  readonly ok: boolean
  /** 0 when everything works, 3 for auth or connectivity problems. */
  readonly exitCode: 0 | 3
  /** Facts about the check, in order, e.g. `["region", "cn-beijing"]`, `["endpoint", "https://…"]`. */
  readonly facts: ReadonlyArray<readonly [label: string, value: string]>
  /** One line: what was checked and what came back, with what to do when it failed. */
  readonly message: string
  /**
   * A failure that may pass by itself (throttled, a server error): a run checked before its batch goes
   * ahead and lets its retries handle it. Any other failure (a rejected key, an unreachable or wrong
   * endpoint) stops the run before its first item.
   */
  readonly transient?: boolean | undefined
}

/**
 * What `asrflow cancel` did with the open remote jobs of one provider.
 *
 * @since 0.2.0
 * @category models
 */
export interface CancelOutcome {
  /** Remote ids (task ids) that were cancelled. */
  readonly cancelled: ReadonlyArray<string>
  /** Jobs left as they were, and why (their status when asked). */
  readonly kept: ReadonlyArray<{ readonly remoteId: string; readonly itemId: string; readonly status: string }>
}
