import { z } from 'zod';
import { FIGURE_DOCS } from './routes';

/**
 * The OpenAPI 3.1 document of statistics' API, generated from the zod query schemas of the
 * routes (`z.toJSONSchema`, input side) and their written definitions.
 */
export function openApiDocument(opts: { timeZone: string }): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const doc of FIGURE_DOCS) {
    const schema = z.toJSONSchema(doc.query, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
    const parameters = Object.entries(schema.properties ?? {}).map(([name, s]) => {
      const { description, ...rest } = s;
      return { name, in: 'query', required: (schema.required ?? []).includes(name) && rest.default === undefined, ...(description ? { description } : {}), schema: rest };
    });
    paths[doc.path] = {
      get: {
        summary: doc.summary,
        description: doc.description,
        security: [{ bearer: [] }],
        parameters,
        responses: {
          '200': {
            description: 'The figure as JSON, or its table as CSV (header row, RFC 4180) with ?format=csv or Accept: text/csv.',
            content: { 'application/json': { schema: { type: 'object' } }, 'text/csv': { schema: { type: 'string' } } },
          },
          '400': { description: 'Invalid query parameters (problem+json listing every field).', content: { 'application/problem+json': { schema: { type: 'object' } } } },
          '401': { description: 'No valid bearer token.' },
          '403': { description: 'Role may not read statistics (allowed: analyst, supervisor, ops, dispatcher, admin).' },
        },
      },
    };
  }
  paths['/stats/admin/rebuild'] = {
    post: {
      summary: 'Rebuild every projection from the Kafka topics',
      description:
        'Takes the rebuild lock, pauses this instance\'s live consumer, replays the calls, dispatch and cases topics from offset 0 to their end offsets at the start, truncates and reloads the projections in one transaction, records the per-partition watermarks and resumes the consumer. Roles admin, ops. 409 when a rebuild already runs or other statistics instances consume live.',
      security: [{ bearer: [] }],
      responses: { '200': { description: 'Rebuild summary: events, calls, seconds, eventsPerSecond, watermarks.' }, '409': { description: 'Refused (see detail).' } },
    },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'cad110 statistics', version: '1.0.0', description: `The bureau's figures. Local days and hours in ${opts.timeZone}.` },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
  };
}
