/** Turning failed API answers into text a jury member can read. */
import type { ValidationIssue } from "@/lib/api-types";
import { fill, messages } from "@/lib/i18n";

const text = messages.errors;

/** A failed request, ready to show: a headline and the API's explanation as separate lines. */
export interface DisplayError {
  /** HTTP status from this app's /api route, or null when the request never got an answer. */
  status: number | null;
  title: string;
  details: string[];
}

function isValidationIssue(value: unknown): value is ValidationIssue {
  return typeof value === "object" && value !== null && typeof (value as ValidationIssue).msg === "string";
}

/** "features.petal_length" style location for a FastAPI issue, without the request-body prefix. */
function issueField(loc: ValidationIssue["loc"]): string {
  const parts = (loc ?? []).map(String);
  if (parts[0] === "body") {
    parts.shift();
  }
  // Feature values are the only inputs on the page, so name the feature itself.
  if (parts[0] === "features" && parts.length > 1) {
    parts.shift();
  }
  return parts.join(".");
}

/** The lines of a FastAPI `detail`: a message string, or one line per validation issue. */
export function detailLines(body: unknown): string[] {
  const detail = typeof body === "object" && body !== null ? (body as { detail?: unknown }).detail : undefined;
  if (typeof detail === "string") {
    return [detail];
  }
  if (Array.isArray(detail)) {
    return detail.map((issue: unknown) => {
      if (!isValidationIssue(issue)) {
        return JSON.stringify(issue);
      }
      const field = issueField(issue.loc);
      return field ? `${field}: ${issue.msg}` : issue.msg;
    });
  }
  return [];
}

function titleFor(status: number): string {
  switch (status) {
    case 400:
    case 422:
      return text.rejected;
    case 502:
    case 504:
      return text.unreachable;
    case 503:
      return text.noModel;
    case 500:
      return text.server;
    default:
      return fill(text.other, { status });
  }
}

/** Describe an error answer from one of this app's /api routes. */
export function describeError(status: number, body: unknown): DisplayError {
  const details = detailLines(body);
  if (status === 503 && details.length === 0) {
    details.push(text.noModelHint);
  }
  return { status, title: titleFor(status), details };
}

/** The error to show when the browser could not reach this app's own server at all. */
export const NETWORK_ERROR: DisplayError = {
  status: null,
  title: text.offline,
  details: [text.offlineHint],
};
