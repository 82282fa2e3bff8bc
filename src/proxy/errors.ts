/** An error the proxy answers itself, in the API's own shape, `{code, message}`, so the tag reads it as the service's. */
export const apiError = (status: number, code: number, message: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ code, message: 'p13n proxy: ' + message }), { status, headers: { 'Content-Type': 'application/json', ...headers } });
