import { defineTool } from './define.js';

/**
 * finish: the model says the task is done. The loop stops on `finished`; the summary goes to the
 * terminal (details), the model is only told the task is finished.
 */

export const finishTool = defineTool({
  name: 'finish',
  description: 'Call when the task is done.',
  parameters: {
    type: 'object',
    properties: { summary: { type: 'string', description: 'what was done, one paragraph' } },
    required: ['summary'],
  },
  actionClass: 'none',
  subject: () => '',
  async run(args) {
    return { content: 'Task finished.', finished: true, details: args.summary };
  },
});
