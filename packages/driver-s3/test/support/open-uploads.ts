import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { createTestS3Client, type S3TestServerInfo } from '@stowage/testing';

/** How many multipart uploads are open at exactly `key`, as a plain SDK client with root credentials lists them. */
export async function openUploadsOf(server: S3TestServerInfo, bucket: string, key: string): Promise<number> {
  const client = createTestS3Client(server);
  try {
    const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
    return (listed.Uploads ?? []).filter((upload) => upload.Key === key).length;
  } finally {
    client.destroy();
  }
}
