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

    Config internal _config;
    mapping(address token => bool) internal _tokenAllowed;

    constructor(address owner_, address treasury_) Ownable(owner_) {
        if (treasury_ == address(0)) revert Errors.GpuEscrow_ZeroTreasury();
        _config = Config({
            treasury: treasury_,
            feeBps: DEFAULT_FEE_BPS,
            challengeWindow: DEFAULT_CHALLENGE_WINDOW,
            gracePeriod: DEFAULT_GRACE_PERIOD,
            paused: false
        });
    }

    function config() external view override returns (Config memory) {
        return _config;
    }

    function tokenAllowed(address token) external view override returns (bool) {
        return _tokenAllowed[token];
    }

    function setFee(uint16 feeBps) external override onlyOwner {
        if (feeBps > MAX_FEE_BPS) revert Errors.GpuEscrow_FeeTooHigh(feeBps, MAX_FEE_BPS);
        emit FeeUpdated(_config.feeBps, feeBps);
        _config.feeBps = feeBps;
    }

    function setTreasury(address treasury) external override onlyOwner {
        if (treasury == address(0)) revert Errors.GpuEscrow_ZeroTreasury();
        emit TreasuryUpdated(_config.treasury, treasury);
        _config.treasury = treasury;
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

    function setTokenAllowed(address token, bool allowed) external override onlyOwner {
        _tokenAllowed[token] = allowed;
        emit TokenAllowed(token, allowed);
    }

    function setPaused(bool paused) external override onlyOwner {
        _config.paused = paused;
        emit PausedSet(paused);
    }
}
