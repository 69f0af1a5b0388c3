-- Default policy for who may send images (docs/security.md). Orthanc 1.10.1 cannot bind its DICOM port to
-- loopback only, so without ORTHANC_DICOM_MODALITIES scripts/services loads this filter: instances received over
-- DICOM (C-STORE) are kept only when they come from this machine (any AE title); from any other address they are
-- discarded and the refusal is logged. Orthanc 1.10.1 still answers "Success" to such a sender (its
-- ReceivedCStoreInstanceFilter status code is not applied in this version; checked with storescu). REST uploads
-- (the pipeline's own, authenticated) are not affected. Sites that receive from modalities set
-- ORTHANC_DICOM_MODALITIES instead: Orthanc then refuses unknown AE titles and hosts at association time.
function ReceivedInstanceFilter(dicom, origin, info)
  if origin['RequestOrigin'] ~= 'DicomProtocol' then
    return true
  end
  local ip = origin['RemoteIp'] or ''
  if string.sub(ip, 1, 4) == '127.' or ip == '::1' or string.sub(ip, 1, 11) == '::ffff:127.' then
    return true
  end
  print('cxr: refused C-STORE from ' .. ip .. ' (calling AE ' .. (origin['RemoteAet'] or '?') ..
    '): only loopback may send; set ORTHANC_DICOM_MODALITIES to accept modalities')
  return false
end
