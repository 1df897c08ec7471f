// A tokenizer and recursive-descent parser for the SOQL the sandbox org answers:
//   SELECT field, Rel.Field FROM Object [WHERE condition] [ORDER BY field [ASC|DESC]
//   [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]
//   SELECT COUNT() FROM Object [WHERE condition] [LIMIT n] [OFFSET n]
// with =, !=, <>, <, <=, >, >=, [NOT] IN (...), LIKE, AND, OR, NOT and parentheses, and string,
// number, boolean, null, date and datetime literals. Anything else is MALFORMED_QUERY. COUNT()
// follows the SOQL reference (COUNT() and COUNT(fieldName)): it must be the only element of the
// SELECT list, may take a LIMIT and may not take an ORDER BY.
import { SalesforceApiError } from './api-error.ts';
import { parseDateTime } from './sobject-schema.ts';

export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'datetime'; value: number }
  | { kind: 'date'; value: string };

export type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; operand: Condition }
  | { kind: 'compare'; field: string; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: Literal }
  | { kind: 'in'; field: string; negated: boolean; values: Literal[] }
  | { kind: 'like'; field: string; pattern: string };

export interface SoqlQuery {
  /** SELECT COUNT(): the answer is the number of matching rows, not the rows. */
  count: boolean;
  fields: string[];
  object: string;
  where: Condition | undefined;
  orderBy: { field: string; descending: boolean; nullsLast: boolean }[];
  limit: number | undefined;
  offset: number | undefined;
}

type Token =
  | { type: 'word'; text: string }
  | { type: 'string'; text: string }
  | { type: 'number'; text: string }
  | { type: 'datetime'; text: string }
  | { type: 'date'; text: string }
  | { type: 'symbol'; text: string };

function malformed(message: string): SalesforceApiError {
  return new SalesforceApiError(400, 'MALFORMED_QUERY', message);
}

export function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const rest = () => soql.slice(i);
  while (i < soql.length) {
    const char = soql[i] ?? '';
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    const datetime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})/.exec(rest());
    if (datetime !== null) {
      tokens.push({ type: 'datetime', text: datetime[0] });
      i += datetime[0].length;
      continue;
    }
    const date = /^\d{4}-\d{2}-\d{2}(?![\dT])/.exec(rest());
    if (date !== null) {
      tokens.push({ type: 'date', text: date[0] });
      i += date[0].length;
      continue;
    }
    const number = /^-?\d+(\.\d+)?/.exec(rest());
    if (number !== null) {
      tokens.push({ type: 'number', text: number[0] });
      i += number[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(rest());
    if (word !== null) {
      tokens.push({ type: 'word', text: word[0] });
      i += word[0].length;
      continue;
    }
    if (char === "'") {
      let value = '';
      i++;
      for (;;) {
        const c = soql[i];
        if (c === undefined) throw malformed('unexpected end of query: unterminated string literal');
        if (c === '\\') {
          const escaped = soql[i + 1] ?? '';
          value +=
            ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' } as Record<string, string>)[escaped] ?? escaped;
          i += 2;
          continue;
        }
        i++;
        if (c === "'") break;
        value += c;
      }
      tokens.push({ type: 'string', text: value });
      continue;
    }
    const symbol = /^(<=|>=|!=|<>|[=<>(),])/.exec(rest());
    if (symbol !== null) {
      tokens.push({ type: 'symbol', text: symbol[0] === '<>' ? '!=' : symbol[0] });
      i += symbol[0].length;
      continue;
    }
    throw malformed(`unexpected token: '${char}'`);
  }
  return tokens;
}

class Parser {
  readonly #tokens: Token[];
  #at = 0;

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  parse(): SoqlQuery {
    this.#keyword('SELECT');
    const count = this.#countCall();
    const fields = count ? [] : [this.#field()];
    while (this.#symbol(',')) {
      if (count || this.#countCall()) throw malformed('COUNT() must be the only element in the SELECT list');
      fields.push(this.#field());
    }
    this.#keyword('FROM');
    const object = this.#word('an object name');
    let where: Condition | undefined;
    if (this.#isKeyword('WHERE')) {
      this.#at++;
      where = this.#or();
    }
    const orderBy: SoqlQuery['orderBy'] = [];
    if (this.#isKeyword('ORDER')) {
      this.#at++;
      this.#keyword('BY');
      do {
        const field = this.#field();
        let descending = false;
        if (this.#isKeyword('ASC')) this.#at++;
        else if (this.#isKeyword('DESC')) {
          this.#at++;
          descending = true;
        }
        let nullsLast = descending;
        if (this.#isKeyword('NULLS')) {
          this.#at++;
          if (this.#isKeyword('FIRST')) nullsLast = false;
          else if (this.#isKeyword('LAST')) nullsLast = true;
          else throw malformed('expected FIRST or LAST after NULLS');
          this.#at++;
        }
        orderBy.push({ field, descending, nullsLast });
      } while (this.#symbol(','));
    }
    let limit: number | undefined;
    let offset: number | undefined;
    if (this.#isKeyword('LIMIT')) {
      this.#at++;
      limit = this.#integer('LIMIT');
    }
    if (this.#isKeyword('OFFSET')) {
      this.#at++;
      offset = this.#integer('OFFSET');
    }
    const extra = this.#tokens[this.#at];
    if (extra !== undefined) throw malformed(`unexpected token: '${extra.text}'`);
    if (count && orderBy.length > 0) throw malformed("COUNT() can't be used with an ORDER BY clause");
    return { count, fields, object, where, orderBy, limit, offset };
  }

  /** Reads `COUNT()` when it comes next. COUNT(fieldName), an aggregate query, is not modelled. */
  #countCall(): boolean {
    const [name, open, close] = this.#tokens.slice(this.#at, this.#at + 3);
    if (name?.type !== 'word' || name.text.toUpperCase() !== 'COUNT') return false;
    if (open?.type !== 'symbol' || open.text !== '(') return false;
    if (close?.type !== 'symbol' || close.text !== ')') {
      throw malformed(
        'the sandbox answers COUNT() only: aggregate functions such as COUNT(fieldName) are not modelled',
      );
    }
    this.#at += 3;
    return true;
  }

  #or(): Condition {
    let left = this.#and();
    while (this.#isKeyword('OR')) {
      this.#at++;
      left = { kind: 'or', left, right: this.#and() };
    }
    return left;
  }

  #and(): Condition {
    let left = this.#not();
    while (this.#isKeyword('AND')) {
      this.#at++;
      left = { kind: 'and', left, right: this.#not() };
    }
    return left;
  }

  #not(): Condition {
    if (this.#isKeyword('NOT')) {
      this.#at++;
      return { kind: 'not', operand: this.#not() };
    }
    if (this.#symbol('(')) {
      const inner = this.#or();
      if (!this.#symbol(')')) throw malformed("expected ')'");
      return inner;
    }
    const field = this.#field();
    if (this.#isKeyword('LIKE')) {
      this.#at++;
      const pattern = this.#literal();
      if (pattern.kind !== 'string') throw malformed('LIKE needs a string pattern');
      return { kind: 'like', field, pattern: pattern.value };
    }
    const negated = this.#isKeyword('NOT');
    if (negated) this.#at++;
    if (this.#isKeyword('IN')) {
      this.#at++;
      if (!this.#symbol('(')) throw malformed("expected '(' after IN");
      const values = [this.#literal()];
      while (this.#symbol(',')) values.push(this.#literal());
      if (!this.#symbol(')')) throw malformed("expected ')' to close IN");
      return { kind: 'in', field, negated, values };
    }
    if (negated) throw malformed('expected IN after NOT');
    const op = this.#tokens[this.#at];
    if (op?.type !== 'symbol' || !['=', '!=', '<', '<=', '>', '>='].includes(op.text)) {
      throw malformed(`expected a comparison after ${field}`);
    }
    this.#at++;
    return {
      kind: 'compare',
      field,
      op: op.text as '=' | '!=' | '<' | '<=' | '>' | '>=',
      value: this.#literal(),
    };
  }

  #literal(): Literal {
    const token = this.#tokens[this.#at++];
    if (token === undefined) throw malformed('unexpected end of query: expected a value');
    switch (token.type) {
      case 'string':
        return { kind: 'string', value: token.text };
      case 'number':
        return { kind: 'number', value: Number(token.text) };
      case 'date':
        return { kind: 'date', value: token.text };
      case 'datetime': {
        const ms = parseDateTime(token.text);
        if (ms === undefined) throw malformed(`invalid datetime literal ${token.text}`);
        return { kind: 'datetime', value: ms };
      }
      case 'word': {
        const upper = token.text.toUpperCase();
        if (upper === 'TRUE' || upper === 'FALSE') return { kind: 'boolean', value: upper === 'TRUE' };
        if (upper === 'NULL') return { kind: 'null' };
        throw malformed(`unexpected token: '${token.text}'`);
      }
      case 'symbol':
        throw malformed(`unexpected token: '${token.text}'`);
    }
  }

  #field(): string {
    return this.#word('a field name');
  }

  #word(what: string): string {
    const token = this.#tokens[this.#at];
    if (token?.type !== 'word')
      throw malformed(
        `expected ${what}${token === undefined ? ' at end of query' : `, found '${token.text}'`}`,
      );
    this.#at++;
    return token.text;
  }

  #integer(clause: string): number {
    const token = this.#tokens[this.#at++];
    if (token?.type !== 'number' || !/^\d+$/.test(token.text))
      throw malformed(`${clause} needs a whole number`);
    return Number(token.text);
  }

  #isKeyword(keyword: string): boolean {
    const token = this.#tokens[this.#at];
    return token?.type === 'word' && token.text.toUpperCase() === keyword;
  }

  #keyword(keyword: string): void {
    if (!this.#isKeyword(keyword)) {
      const found = this.#tokens[this.#at];
      throw malformed(
        `expected ${keyword}${found === undefined ? ' at end of query' : `, found '${found.text}'`}`,
      );
    }
    this.#at++;
  }

  #symbol(symbol: string): boolean {
    const token = this.#tokens[this.#at];
    if (token?.type === 'symbol' && token.text === symbol) {
      this.#at++;
      return true;
    }
    return false;
  }
}

export function parseSoql(soql: string): SoqlQuery {
  return new Parser(tokenize(soql)).parse();
}
