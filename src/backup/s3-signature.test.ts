import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { signS3Request } from './s3-signature.js'

describe('S3 request signatures (SigV4)', () => {
  it("match AWS's published example: GET /test.txt with a Range header", () => {
    // docs.aws.amazon.com, "Example: GET Object" of Signature Version 4 for S3 (header authentication).
    const headers = signS3Request(
      {
        method: 'GET',
        host: 'examplebucket.s3.amazonaws.com',
        path: '/test.txt',
        headers: { Range: 'bytes=0-9' },
        payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      },
      {
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        region: 'us-east-1',
      },
      new Date('2013-05-24T00:00:00Z'),
    )
    assert.equal(
      headers.authorization,
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    )
    assert.equal(headers['x-amz-date'], '20130524T000000Z')
    assert.equal(headers.host, undefined, 'the client sends Host itself')
  })

  it('signs the query and encodes the path as S3 expects', () => {
    const sign = (path: string, query: Record<string, string>) =>
      signS3Request(
        { method: 'GET', host: 'h', path, query },
        { accessKeyId: 'a', secretAccessKey: 's', region: 'r' },
        new Date(0),
      ).authorization
    assert.notEqual(sign('/b', { prefix: 'a/' }), sign('/b', { prefix: 'a' }))
    assert.notEqual(sign('/b/a b', {}), sign('/b/a+b', {}))
  })
})
