/**
 * How a command asks for a particular exit code, and how any failure maps to one.
 *
 * Exit codes: 0 all ok, 1 some items failed, 2 config or usage error, 3 auth or connectivity error.
 *
 * @since 0.1.0
 */
import { ValidationError } from "@effect/cli"
import { Cause, Data, Exit, Option, Predicate } from "effect"

/**
 * @since 0.1.0
 * @category errors
 */
export class CliExit extends Data.TaggedError("CliExit")<{
  readonly code: number
  /** Already shown to the user when undefined. */
  readonly message?: string | undefined
}> {}

const codeOfError = (error: unknown): number => {
  if (error instanceof CliExit) return error.code
  if (ValidationError.isValidationError(error)) return 2
  if (Predicate.isTagged(error, "PipelineConfigError")) return 2
  // the output root cannot be used: local setup, like a bad flag
  if (Predicate.isTagged(error, "OutputRootError")) return 2
  if (Predicate.isTagged(error, "RunNameError")) return 2
  if (Predicate.isTagged(error, "ServiceCheckError") && Predicate.hasProperty(error, "exitCode")) {
    return Number(error.exitCode)
  }
  if (Predicate.isTagged(error, "MissingApiKeyError")) return 3
  if (Predicate.isTagged(error, "TranscriptionError") && Predicate.hasProperty(error, "isFatal") && error.isFatal) {
    return 3
  }
  if (Predicate.isTagged(error, "ConfigError")) return 2
  return 1
}

/**
 * The exit code for the outcome of the whole program.
 *
 * @since 0.1.0
 * @category utils
 */
export const exitCode = <E, A>(exit: Exit.Exit<A, E>): number => {
  if (Exit.isSuccess(exit)) return 0
  if (Cause.isInterruptedOnly(exit.cause)) return 130
  return Option.match(Cause.failureOption(exit.cause), { onNone: () => 70, onSome: codeOfError })
}

/**
 * The text to show for a failure, or undefined when it was already shown.
 *
 * @since 0.1.0
 * @category utils
 */
export const describe = <E>(cause: Cause.Cause<E>): string | undefined => {
  if (Cause.isInterruptedOnly(cause)) return undefined
  return Option.match(Cause.failureOption(cause), {
    onNone: () => `asrflow: internal error\n${Cause.pretty(cause)}`,
    onSome: (error) => {
      // an Error's message defaults to "": a CliExit without one was already shown
      if (error instanceof CliExit) return error.message === "" ? undefined : error.message
      // @effect/cli prints its own usage errors
      if (ValidationError.isValidationError(error)) return undefined
      if (
        (Predicate.isTagged(error, "OutputRootError") || Predicate.isTagged(error, "RunNameError")) &&
        Predicate.hasProperty(error, "message")
      ) {
        return `asrflow: ${String(error.message)}`
      }
      if (Predicate.hasProperty(error, "message") && typeof error.message === "string") return error.message
      return String(error)
    }
  })
}
