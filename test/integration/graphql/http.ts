// Raw HTTP helpers for the GraphQL tests: the kit's gql() hides headers and non-JSON bodies,
// which the transport, masking and request-id tests need to see.
import type { TestService } from '../../kit/service.js';

export interface GraphQLErrorBody {
  message: string;
  locations?: Array<{ line: number; column: number }>;
  path?: Array<string | number>;
  extensions?: { code?: string };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: { data?: unknown; errors?: GraphQLErrorBody[] } | undefined;
}

async function toRaw(response: Response): Promise<RawResponse> {
  const text = await response.text();
  let json: RawResponse['json'];
  try {
    json = JSON.parse(text) as RawResponse['json'];
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** POST /graphql with any body (an object is sent as JSON) and headers. */
export async function postGraphQL(
  service: Pick<TestService, 'url'>,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<RawResponse> {
  const response = await fetch(`${service.url}/graphql`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return toRaw(response);
}

/** GET /graphql?query=… with the given headers. */
export async function getGraphQL(service: Pick<TestService, 'url'>, query: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const response = await fetch(`${service.url}/graphql?query=${encodeURIComponent(query)}`, { method: 'GET', headers });
  return toRaw(response);
}

/** The one error of a GraphQL response that must have exactly one. */
export function onlyError(errors: GraphQLErrorBody[] | undefined): GraphQLErrorBody {
  expect(errors).toHaveLength(1);
  return (errors as GraphQLErrorBody[])[0] as GraphQLErrorBody;
}

export const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Asserts a response carries exactly one error, with this message, code and path (no other extensions). */
export function expectOneError(
  response: RawResponse,
  expected: { message: string; code: string; path?: Array<string | number>; status?: number },
): GraphQLErrorBody {
  const error = onlyError(response.json?.errors);
  expect({ message: error.message, extensions: error.extensions, path: error.path }).toEqual({
    message: expected.message,
    extensions: { code: expected.code },
    path: expected.path,
  });
  if (expected.status !== undefined) expect(response.status).toBe(expected.status);
  return error;
}
