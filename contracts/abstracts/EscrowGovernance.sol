// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {IEscrowGovernance} from "../interfaces/IEscrowGovernance.sol";
import {Errors} from "../libraries/Errors.sol";
import {Config} from "../types/DataTypes.sol";

/// @title EscrowGovernance
/// @notice Owner-settable parameters within hard bounds. See {IEscrowGovernance}.
abstract contract EscrowGovernance is IEscrowGovernance, Ownable2Step {
    uint16 public constant override MAX_FEE_BPS = 1500;
    uint16 internal constant DEFAULT_FEE_BPS = 1000;
    uint32 internal constant MIN_CHALLENGE_WINDOW = 5 minutes;
    uint32 internal constant MAX_CHALLENGE_WINDOW = 7 days;
    uint32 internal constant MAX_GRACE_PERIOD = 30 days;
    uint32 internal constant DEFAULT_CHALLENGE_WINDOW = 1 hours;
    uint32 internal constant DEFAULT_GRACE_PERIOD = 24 hours;
    /// @dev Token ids run from 0 to 167: one bit each in `Config.allowedTokens`.
    uint256 internal constant MAX_TOKENS = 168;

    Config internal _config;
    address internal _treasury;
    /// @dev Set once, before any token is allowed (so before any money can arrive), and never changed.
    address internal _disputeModule;
    /// @dev Every token ever allowed, in the order first allowed; a token's id is its index here.
    address[] internal _tokens;
    /// @dev id + 1 of each token in `_tokens` (0: never allowed).
    mapping(address token => uint256) internal _tokenIdPlusOne;

    constructor(address owner_, address treasury_) Ownable(owner_) {
        if (treasury_ == address(0)) revert Errors.GpuEscrow_ZeroTreasury();
        _treasury = treasury_;
        _config = Config({
            feeBps: DEFAULT_FEE_BPS,
            challengeWindow: DEFAULT_CHALLENGE_WINDOW,
            gracePeriod: DEFAULT_GRACE_PERIOD,
            paused: false,
            allowedTokens: 0
        });
    }

    function config() external view override returns (Config memory) {
        return _config;
    }

    function treasury() external view override returns (address) {
        return _treasury;
    }

    function tokenAllowed(address token) external view override returns (bool) {
        uint256 idPlusOne = _tokenIdPlusOne[token];
        return idPlusOne != 0 && _isAllowed(_config, uint8(idPlusOne - 1));
    }

    function setFee(uint16 feeBps) external override onlyOwner {
        if (feeBps > MAX_FEE_BPS) revert Errors.GpuEscrow_FeeTooHigh(feeBps, MAX_FEE_BPS);
        emit FeeUpdated(_config.feeBps, feeBps);
        _config.feeBps = feeBps;
    }

    function setTreasury(address treasury_) external override onlyOwner {
        if (treasury_ == address(0)) revert Errors.GpuEscrow_ZeroTreasury();
        emit TreasuryUpdated(_treasury, treasury_);
        _treasury = treasury_;
    }

    function setWindows(uint32 challengeWindow, uint32 gracePeriod) external override onlyOwner {
        if (challengeWindow < MIN_CHALLENGE_WINDOW || challengeWindow > MAX_CHALLENGE_WINDOW) {
            revert Errors.GpuEscrow_ChallengeWindowOutOfBounds(
                challengeWindow, MIN_CHALLENGE_WINDOW, MAX_CHALLENGE_WINDOW
            );
        }
        if (gracePeriod <= challengeWindow || gracePeriod > MAX_GRACE_PERIOD) {
            revert Errors.GpuEscrow_GracePeriodOutOfBounds(gracePeriod, uint256(challengeWindow) + 1, MAX_GRACE_PERIOD);
        }
        _config.challengeWindow = challengeWindow;
        _config.gracePeriod = gracePeriod;
        emit WindowsUpdated(challengeWindow, gracePeriod);
    }

    function setDisputeModule(address module) external override onlyOwner {
        if (module == address(0)) revert Errors.GpuEscrow_ZeroAddress();
        if (_disputeModule != address(0) || _tokens.length != 0) revert Errors.GpuEscrow_DisputeModuleFixed();
        _disputeModule = module;
        emit DisputeModuleSet(module);
    }

    function disputeModule() external view override returns (address) {
        return _disputeModule;
    }

    function setTokenAllowed(address token, bool allowed) external override onlyOwner {
        if (_disputeModule == address(0)) revert Errors.GpuEscrow_NoDisputeModule();
        uint256 idPlusOne = _tokenIdPlusOne[token];
        if (idPlusOne == 0) {
            if (!allowed) return;
            if (_tokens.length == MAX_TOKENS) revert Errors.GpuEscrow_TooManyTokens(MAX_TOKENS);
            _tokens.push(token);
            idPlusOne = _tokens.length;
            _tokenIdPlusOne[token] = idPlusOne;
        }
        uint168 bit = uint168(1) << uint168(idPlusOne - 1);
        Config storage c = _config;
        c.allowedTokens = allowed ? c.allowedTokens | bit : c.allowedTokens & ~bit;
        emit TokenAllowed(token, allowed);
    }

    function setPaused(bool paused) external override onlyOwner {
        _config.paused = paused;
        emit PausedSet(paused);
    }

    /// @dev The id of an allowed token; reverts for a token that is not allowed now.
    function _allowedTokenId(address token) internal view returns (uint8 id) {
        uint256 idPlusOne = _tokenIdPlusOne[token];
        if (idPlusOne == 0 || !_isAllowed(_config, uint8(idPlusOne - 1))) {
            revert Errors.GpuEscrow_TokenNotAllowed(token);
        }
        return uint8(idPlusOne - 1);
    }

    function _isAllowed(Config memory c, uint8 tokenId) internal pure returns (bool) {
        return (c.allowedTokens >> tokenId) & 1 == 1;
    }
}
