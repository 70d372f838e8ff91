import { ArrayMaxSize, IsArray, IsDefined, IsOptional, IsString, Length, Matches } from 'class-validator';
import { BadRequestException } from '@nestjs/common';
import { OneRuleValidationPipe } from './one-rule-validation.pipe';

class ExampleDto {
  @IsDefined({ message: 'name is required' })
  @IsString()
  @Length(1, 8)
  @Matches(/^[a-z]+$/, { message: 'name may hold a-z only' })
  name?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(2)
  @IsString({ each: true })
  @Matches(/^[a-z]+$/, { each: true, message: 'tags may hold a-z only' })
  tags?: string[];
}

async function messagesFor(body: unknown): Promise<string[]> {
  const sut = new OneRuleValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, forbidUnknownValues: true });
  try {
    await sut.transform(body, { type: 'body', metatype: ExampleDto });
  } catch (error: unknown) {
    if (!(error instanceof BadRequestException)) throw error;
    const response = error.getResponse() as { message: string[] };
    return response.message;
  }
  return [];
}

describe('OneRuleValidationPipe', () => {
  it.each([
    [{}, ['name is required']],
    [{ name: 5 }, ['name must be a string']],
    [{ name: '' }, ['name must be longer than or equal to 1 characters']],
    [{ name: 'Ab' }, ['name may hold a-z only']],
    [{ name: 'ok', tags: 'x' }, ['tags must be an array']],
    [{ name: 'ok', tags: ['a', 'b', 'c'] }, ['tags must contain no more than 2 elements']],
    [{ name: 'ok', tags: ['a', 5] }, ['each value in tags must be a string']],
    [{ name: 5, tags: 'x' }, ['name must be a string', 'tags must be an array']],
  ])('names the first rule %j breaks, one per field', async (body, expected) => {
    expect(await messagesFor(body)).toEqual(expected);
  });

  it('still refuses fields the DTO does not declare', async () => {
    expect(await messagesFor({ name: 'ok', extra: 1 })).toEqual(['property extra should not exist']);
  });

  it('passes a valid body', async () => {
    expect(await messagesFor({ name: 'ok', tags: ['a'] })).toEqual([]);
  });
});
